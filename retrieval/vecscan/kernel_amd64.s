//go:build amd64 && !purego

#include "textflag.h"

// func dotsAVX2(codes *int8, q *int16, dims, n int, out *int32)
//
// For each of n codes of dims int8: sign-extend 16 codes to int16
// (VPMOVSXBW), multiply by 16 query int16 and add adjacent pairs into 8
// int32 (VPMADDWD), accumulate; 32 dimensions per iteration in two
// accumulators, then 16, then one at a time. Integer sums wrap like Go's
// int32, so the result equals dotsGeneric's exactly.
TEXT ·dotsAVX2(SB), NOSPLIT, $0-40
	MOVQ codes+0(FP), SI
	MOVQ q+8(FP), DX
	MOVQ dims+16(FP), CX
	MOVQ n+24(FP), R8
	MOVQ out+32(FP), DI
	MOVQ CX, R9
	ANDQ $-32, R9          // R9 = dims rounded down to 32
	MOVQ CX, R12
	ANDQ $-16, R12         // R12 = dims rounded down to 16

vecloop:
	TESTQ R8, R8
	JZ    done
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	XORQ  AX, AX

loop32:
	CMPQ      AX, R9
	JGE       loop16
	VPMOVSXBW (SI)(AX*1), Y2
	VPMOVSXBW 16(SI)(AX*1), Y3
	VPMADDWD  (DX)(AX*2), Y2, Y2
	VPMADDWD  32(DX)(AX*2), Y3, Y3
	VPADDD    Y2, Y0, Y0
	VPADDD    Y3, Y1, Y1
	ADDQ      $32, AX
	JMP       loop32

loop16:
	CMPQ      AX, R12
	JGE       reduce
	VPMOVSXBW (SI)(AX*1), Y2
	VPMADDWD  (DX)(AX*2), Y2, Y2
	VPADDD    Y2, Y0, Y0
	ADDQ      $16, AX

reduce:
	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4E, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xB1, X0, X1
	VPADDD       X1, X0, X0
	VMOVD        X0, BX

tail:
	CMPQ    AX, CX
	JGE     store
	MOVBLSX (SI)(AX*1), R10
	MOVWLSX (DX)(AX*2), R11
	IMULL   R11, R10
	ADDL    R10, BX
	INCQ    AX
	JMP     tail

store:
	MOVL BX, (DI)
	ADDQ $4, DI
	ADDQ CX, SI
	DECQ R8
	JMP  vecloop

done:
	VZEROUPPER
	RET
