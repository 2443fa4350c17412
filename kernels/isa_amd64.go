//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// isa is chosen once from CPUID (and the OS's saved-register support, which x/sys/cpu checks).
var isa = detectISA()

func detectISA() isaKind {
	x := cpu.X86
	switch {
	case x.HasAVX512F && x.HasAVX512BW && x.HasAVX512VL && x.HasFMA:
		return isaAVX512
	case x.HasAVX2 && x.HasFMA:
		return isaAVX2
	}
	return isaGo
}

// bestISA is the fastest instruction set this CPU supports (tests switch isa and restore it).
var bestISA = isa
