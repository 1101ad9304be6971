//go:build amd64 && !purego

package vecscan

import (
	"testing"

	"golang.org/x/sys/cpu"
)

func TestKernelActive(t *testing.T) {
	vnni := cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI
	want := "go"
	switch {
	case vnni:
		want = "avx512vnni"
	case cpu.X86.HasAVX2:
		want = "avx2"
	}
	if got := Kernel(); got != want {
		t.Fatalf("got kernel %q on a processor with AVX2=%v, AVX-512 VNNI=%v, want %q", got, cpu.X86.HasAVX2, vnni, want)
	}
	if got := NewQuery([]float32{1, 2}).wide != nil; got != vnni {
		t.Fatalf("got a query in the wide order %v, want %v", got, vnni)
	}
}

func TestBitKernelActive(t *testing.T) {
	want := "go"
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VPOPCNTDQ {
		want = "avx512"
	}
	if got := BitKernel(); got != want {
		t.Fatalf("got 1-bit kernel %q on a processor with AVX512F=%v, AVX512VPOPCNTDQ=%v, want %q", got, cpu.X86.HasAVX512F, cpu.X86.HasAVX512VPOPCNTDQ, want)
	}
}
