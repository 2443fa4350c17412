package kernels

// isaKind is an instruction set the kernels can run on.
type isaKind uint8

const (
	isaGo     isaKind = iota // pure Go (any architecture, or -tags purego)
	isaAVX2                  // amd64 with AVX2 and FMA
	isaAVX512                // amd64 with AVX-512 F, BW and VL
)

func (k isaKind) String() string {
	switch k {
	case isaAVX2:
		return "avx2"
	case isaAVX512:
		return "avx512"
	}
	return "go"
}

// ISA reports the instruction set the kernels run on in this process: "avx512", "avx2" or "go".
// The avx512 and avx2 kernels give bit-identical results; the go kernels (other architectures,
// or builds with -tags purego) have their own, equally deterministic, rounding.
func ISA() string { return isa.String() }
