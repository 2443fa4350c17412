// Command asmgen writes the amd64 assembly of package kernels and the Go declarations that
// go with it (argument structs with the field offsets the assembly reads, function stubs).
//
// Run it through go generate in the kernels directory:
//
//	go generate ./kernels
//
// Generating the code keeps the many tile variants of one kernel (AVX-512 and AVX2, BF16 and
// F32 weights, 1 to 6 tokens per tile) consistent with each other: they share one body and one
// lane structure, which is what makes their results bit-identical (see ../../doc.go).
package main
