package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/hymbaserve/hymbaserve/kvshare"
)

// flagBF16 marks an export of bf16 K/V rows in the flags byte of the encoding.
const flagBF16 = 4

// MarshalBinary encodes the export, little-endian:
//
//	u64 id, u32 pos, u8 flags (1 started, 2 decoding, 4 bf16 K/V rows), u32 layers, then per
//	layer: u32 layer, u8 kv (1 has K/V, 2 meta rows omitted), u32 meta, u32 start, u32 n, then
//	the arrays conv, ssm (u32 count + count float32 each), k, v (u32 count + count float32, or
//	with flag 4 count bf16 as u16: a bf16 export ships the 2-byte values its pages hold).
func (e *SeqExport) MarshalBinary() ([]byte, error) {
	if e.KVDType.Size() == 0 {
		return nil, fmt.Errorf("model: export of sequence %d: K/V dtype %v", e.ID, e.KVDType)
	}
	bf16 := e.KVDType == kvshare.BF16
	b := binary.LittleEndian.AppendUint64(nil, e.ID)
	b = binary.LittleEndian.AppendUint32(b, uint32(e.Pos))
	b = append(b, boolBit(e.Started)|boolBit(e.Decoding)<<1|boolBit(bf16)<<2)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(e.Layers)))
	for _, l := range e.Layers {
		b = binary.LittleEndian.AppendUint32(b, uint32(l.Layer))
		b = append(b, boolBit(l.HasKV)|boolBit(l.MetaOmitted)<<1)
		for _, v := range []int{l.Meta, l.Start, l.N} {
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		}
		b = appendFloats(appendFloats(b, l.Conv), l.SSM)
		if bf16 {
			b = appendHalves(appendHalves(b, l.K16), l.V16)
		} else {
			b = appendFloats(appendFloats(b, l.K), l.V)
		}
	}
	return b, nil
}

func boolBit(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func appendFloats(b []byte, f []float32) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
	for _, x := range f {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func appendHalves(b []byte, h []uint16) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
	for _, x := range h {
		b = binary.LittleEndian.AppendUint16(b, x)
	}
	return b
}

var errShortExport = errors.New("model: sequence export truncated")

// UnmarshalBinary decodes MarshalBinary's output, checking every count against the data left.
func (e *SeqExport) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	e.ID = r.u64()
	e.Pos = int(r.u32())
	flags := r.byte()
	if flags&^7 != 0 {
		return fmt.Errorf("model: sequence export flags %#02x: unknown bits", flags)
	}
	e.Started, e.Decoding, e.KVDType = flags&1 != 0, flags&2 != 0, kvshare.F32
	if flags&flagBF16 != 0 {
		e.KVDType = kvshare.BF16
	}
	n := int(r.u32())
	if r.err == nil && n > len(r.b)/17 {
		return errShortExport
	}
	e.Layers = make([]LayerExport, 0, n)
	for range n {
		l := LayerExport{Layer: int(r.u32())}
		kv := r.byte()
		l.HasKV, l.MetaOmitted = kv&1 != 0, kv&2 != 0
		l.Meta, l.Start, l.N = int(r.u32()), int(r.u32()), int(r.u32())
		l.Conv, l.SSM = r.floats(), r.floats()
		if e.KVDType == kvshare.BF16 {
			l.K16, l.V16 = r.halves(), r.halves()
		} else {
			l.K, l.V = r.floats(), r.floats()
		}
		e.Layers = append(e.Layers, l)
	}
	if r.err == nil && len(r.b) != 0 {
		return fmt.Errorf("model: %d bytes after the sequence export", len(r.b))
	}
	return r.err
}

// reader reads little-endian values and remembers the first shortfall.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = errShortExport
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) byte() byte {
	if p := r.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	if p := r.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if p := r.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (r *reader) floats() []float32 {
	n := int(r.u32())
	p := r.take(4 * n)
	if p == nil {
		return nil
	}
	f := make([]float32, n)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
	}
	return f
}

func (r *reader) halves() []uint16 {
	n := int(r.u32())
	p := r.take(2 * n)
	if p == nil {
		return nil
	}
	h := make([]uint16, n)
	for i := range h {
		h[i] = binary.LittleEndian.Uint16(p[2*i:])
	}
	return h
}
