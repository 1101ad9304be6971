//go:build amd64 && !purego

package vecscan

import (
	"testing"

	"golang.org/x/sys/cpu"
)

func TestAVX2KernelActive(t *testing.T) {
	want := "go"
	if cpu.X86.HasAVX2 {
		want = "avx2"
	}
	if got := Kernel(); got != want {
		t.Fatalf("got kernel %q on a processor with AVX2=%v, want %q", got, cpu.X86.HasAVX2, want)
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
