//go:build amd64 && !purego

#include "textflag.h"

// SPLIT loads 32 bytes of 4-bit codes from src into lo and splits them:
// lo gets the low nibbles, hi the high ones (mask: 0x0f bytes).
#define SPLIT(src, lo, hi, mask) \
	VMOVDQU src, lo; \
	VPSRLW  $4, lo, hi; \
	VPAND   mask, lo, lo; \
	VPAND   mask, hi, hi

// ZSPLIT is SPLIT for 64 bytes in 512-bit registers.
#define ZSPLIT(src, lo, hi, mask) \
	VMOVDQU64 src, lo; \
	VPSRLW    $4, lo, hi; \
	VPANDD    mask, lo, lo; \
	VPANDD    mask, hi, hi

// HSUM_STORE adds the eight int32 of Y0 (X1 scratch), stores the sum at
// (DI) and steps DI, SI (by CX bytes) and the count R8 to the next vector.
#define HSUM_STORE \
	VEXTRACTI128 $1, Y0, X1; \
	VPADDD       X1, X0, X0; \
	VPSHUFD      $0x4E, X0, X1; \
	VPADDD       X1, X0, X0; \
	VPSHUFD      $0xB1, X0, X1; \
	VPADDD       X1, X0, X0; \
	VMOVD        X0, BX; \
	MOVL         BX, (DI); \
	ADDQ         $4, DI; \
	ADDQ         CX, SI; \
	DECQ         R8

// func dotsAVX2(codes *byte, q *int8, stride, n int, out *int32)
//
// For each of n vectors of stride bytes of 4-bit codes (stride a multiple
// of 32): per 32-byte block, split the low nibbles (the block's first 32
// dimensions) from the high ones (its last 32) with a shift and a mask,
// multiply each by the 32 int8 query codes of those dimensions and add
// adjacent pairs into 16 int16 (VPMADDUBSW: codes unsigned, query signed;
// at most 2*15*127 each), add the two (at most 7620), widen into 8 int32
// by multiplying pairs by one (VPMADDWD) and accumulate; two blocks per
// iteration into two accumulators. The sums cannot overflow (MaxDims), so
// the result equals dotsGeneric's exactly.
TEXT ·dotsAVX2(SB), NOSPLIT, $0-40
	MOVQ codes+0(FP), SI
	MOVQ q+8(FP), DX
	MOVQ stride+16(FP), CX
	MOVQ n+24(FP), R8
	MOVQ out+32(FP), DI
	MOVQ CX, R9
	ANDQ $-64, R9          // R9 = stride rounded down to two blocks

	MOVL         $0x0f0f0f0f, AX
	MOVD         AX, X15
	VPBROADCASTD X15, Y15  // Y15 = the nibble mask
	MOVL         $0x00010001, AX
	MOVD         AX, X14
	VPBROADCASTD X14, Y14  // Y14 = int16 ones

vecloop:
	TESTQ R8, R8
	JZ    done
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	XORQ  AX, AX

loop64:
	CMPQ       AX, R9
	JGE        last32
	SPLIT((SI)(AX*1), Y2, Y3, Y15)
	SPLIT(32(SI)(AX*1), Y5, Y6, Y15)
	VPMADDUBSW (DX)(AX*2), Y2, Y2
	VPMADDUBSW 32(DX)(AX*2), Y3, Y3
	VPMADDUBSW 64(DX)(AX*2), Y5, Y5
	VPMADDUBSW 96(DX)(AX*2), Y6, Y6
	VPADDW     Y3, Y2, Y2
	VPADDW     Y6, Y5, Y5
	VPMADDWD   Y14, Y2, Y2
	VPMADDWD   Y14, Y5, Y5
	VPADDD     Y2, Y0, Y0
	VPADDD     Y5, Y1, Y1
	ADDQ       $64, AX
	JMP        loop64

last32:
	CMPQ       AX, CX
	JGE        reduce
	SPLIT((SI)(AX*1), Y2, Y3, Y15)
	VPMADDUBSW (DX)(AX*2), Y2, Y2
	VPMADDUBSW 32(DX)(AX*2), Y3, Y3
	VPADDW     Y3, Y2, Y2
	VPMADDWD   Y14, Y2, Y2
	VPADDD     Y2, Y0, Y0
	ADDQ       $32, AX

reduce:
	VPADDD Y1, Y0, Y0
	HSUM_STORE
	JMP    vecloop

done:
	VZEROUPPER
	RET

// func bitDotsAVX512(codes, planes *uint64, words, stride, n int, out *int32)
//
// For each of n codes of words 64-bit words: 8 words at a time (the last
// group masked, its missing words read as zero), AND with each of the
// four query planes, count the bits of each word (VPOPCNTQ) and
// accumulate p0 + 2*p1 + 4*p2 + 8*(p3 - popcount(code)) in eight 64-bit
// lanes, then add the lanes: bitDotsGeneric's sum exactly. The planes are
// padded to stride words (a multiple of 8), so their loads need no mask.
TEXT ·bitDotsAVX512(SB), NOSPLIT, $0-48
	MOVQ codes+0(FP), SI
	MOVQ planes+8(FP), DX
	MOVQ words+16(FP), R14
	MOVQ stride+24(FP), R10
	MOVQ n+32(FP), R8
	MOVQ out+40(FP), DI
	SHLQ $3, R10              // plane stride in bytes
	LEAQ (DX)(R10*1), R11     // plane 1
	LEAQ (R11)(R10*1), R12    // plane 2
	LEAQ (R12)(R10*1), R13    // plane 3
	MOVQ R14, CX
	ANDQ $7, CX
	MOVQ $1, BX
	SHLQ CX, BX
	DECQ BX
	KMOVW BX, K3              // the last, partial group (none when 0)
	MOVQ R14, R15
	SHLQ $3, R15              // bytes per code
	MOVQ R14, R9
	ANDQ $-8, R9
	SHLQ $3, R9               // bytes in whole groups

bvecloop:
	TESTQ R8, R8
	JZ    bdone
	VPXORQ Z0, Z0, Z0
	XORQ  AX, AX

bgroup:
	CMPQ AX, R15
	JGE  breduce
	CMPQ AX, R9
	JGE  bpartial
	VMOVDQU64 (SI)(AX*1), Z1  // a whole group: a plain load
	JMP  bbody

bpartial:
	VMOVDQU64.Z (SI)(AX*1), K3, Z1

bbody:
	VPANDQ   (DX)(AX*1), Z1, Z2
	VPOPCNTQ Z2, Z2
	VPADDQ   Z2, Z0, Z0
	VPANDQ   (R11)(AX*1), Z1, Z3
	VPOPCNTQ Z3, Z3
	VPSLLQ   $1, Z3, Z3
	VPADDQ   Z3, Z0, Z0
	VPANDQ   (R12)(AX*1), Z1, Z4
	VPOPCNTQ Z4, Z4
	VPSLLQ   $2, Z4, Z4
	VPADDQ   Z4, Z0, Z0
	VPANDQ   (R13)(AX*1), Z1, Z5
	VPOPCNTQ Z5, Z5
	VPOPCNTQ Z1, Z1
	VPSUBQ   Z1, Z5, Z5
	VPSLLQ   $3, Z5, Z5
	VPADDQ   Z5, Z0, Z0
	ADDQ     $64, AX
	JMP      bgroup

breduce:
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDQ        Y1, Y0, Y0
	VEXTRACTI128  $1, Y0, X1
	VPADDQ        X1, X0, X0
	VPSHUFD       $0x4e, X0, X1
	VPADDQ        X1, X0, X0
	VMOVQ         X0, BX
	MOVL          BX, (DI)
	ADDQ          $4, DI
	ADDQ          R15, SI
	DECQ          R8
	JMP           bvecloop

bdone:
	VZEROUPPER
	RET

// func prefetch(p *byte, n int)
//
// Asks for the n bytes at p (n > 0) to be brought into the cache, one
// PREFETCHT0 per 64-byte line.
TEXT ·prefetch(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX

ploop:
	PREFETCHT0 (SI)
	ADDQ       $64, SI
	SUBQ       $64, CX
	JG         ploop
	RET

// func dotsVNNI(codes *byte, q *int8, stride, n int, out *int32)
//
// dotsAVX2 with AVX-512 VNNI: VPDPBUSD multiplies 64 unsigned codes by 64
// signed query codes and adds each four products into one of 16 int32 at
// once, without saturating. One 512-bit register holds two blocks, so its
// low nibbles are the first halves of both and its high nibbles the
// second halves: q is the query in that order (widen), two blocks per 128
// bytes, a last odd block as it is. Four accumulators over 128 bytes, then
// 64, then a last 32-byte block in 256-bit registers. The same integer
// sums as dotsGeneric's, exactly.
TEXT ·dotsVNNI(SB), NOSPLIT, $0-40
	MOVQ codes+0(FP), SI
	MOVQ q+8(FP), DX
	MOVQ stride+16(FP), CX
	MOVQ n+24(FP), R8
	MOVQ out+32(FP), DI
	MOVQ CX, R9
	ANDQ $-128, R9         // R9 = stride rounded down to four blocks
	MOVQ CX, R10
	ANDQ $-64, R10         // R10 = stride rounded down to two blocks

	MOVL         $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z15   // Z15 = the nibble mask

vnniloop:
	TESTQ  R8, R8
	JZ     vnnidone
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	XORQ   AX, AX

vnni128:
	CMPQ      AX, R9
	JGE       vnni64
	ZSPLIT((SI)(AX*1), Z4, Z5, Z15)
	ZSPLIT(64(SI)(AX*1), Z6, Z7, Z15)
	VPDPBUSD  (DX)(AX*2), Z4, Z0
	VPDPBUSD  64(DX)(AX*2), Z5, Z1
	VPDPBUSD  128(DX)(AX*2), Z6, Z2
	VPDPBUSD  192(DX)(AX*2), Z7, Z3
	ADDQ      $128, AX
	JMP       vnni128

vnni64:
	CMPQ      AX, R10
	JGE       vnnifold
	ZSPLIT((SI)(AX*1), Z4, Z5, Z15)
	VPDPBUSD  (DX)(AX*2), Z4, Z0
	VPDPBUSD  64(DX)(AX*2), Z5, Z1
	ADDQ      $64, AX

vnnifold:
	VPADDD        Z1, Z0, Z0
	VPADDD        Z3, Z2, Z2
	VPADDD        Z2, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDD        Y1, Y0, Y0
	CMPQ          AX, CX
	JGE           vnnireduce
	SPLIT((SI)(AX*1), Y4, Y5, Y15)
	VPXOR         Y2, Y2, Y2
	VPDPBUSD      (DX)(AX*2), Y4, Y2
	VPDPBUSD      32(DX)(AX*2), Y5, Y2
	VPADDD        Y2, Y0, Y0

vnnireduce:
	HSUM_STORE
	JMP vnniloop

vnnidone:
	VZEROUPPER
	RET
