//go:build !amd64 || purego

package kernels

// isa is always the pure-Go kernels off amd64 or with -tags purego.
var isa = isaGo

// bestISA is the fastest instruction set available.
var bestISA = isaGo
