package wire

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// FuzzDecodeStep checks that the step and error decoders never panic, and that whatever they
// accept re-encodes to the same bytes: the format has exactly one encoding per value. Each
// input is also decoded with its length field and CRC rewritten to match, so the fuzzer reaches
// the field checks behind the checksum.
func FuzzDecodeStep(f *testing.F) {
	for _, tc := range sampleSteps() {
		if tc.step.Rows*tc.step.Width <= 512 {
			f.Add(mustAppendStep(f, tc.step))
		}
	}
	e, _ := AppendError(nil, &ErrorFrame{Epoch: 1, StepID: 2, Code: CodeStaleEpoch, Worker: "w", Message: "stale"})
	f.Add(e)
	f.Add([]byte{})
	f.Add([]byte("HYMW\x01\x02\x00\x00\x10\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkCanonical(t, b)
		if len(b) >= HeaderSize+CRCSize {
			checkCanonical(t, reseal(b))
		}
	})
}

func checkCanonical(t *testing.T, b []byte) {
	{
		var s Step
		if err := DecodeStepInto(&s, b); err == nil {
			again, err := AppendStep(nil, &s)
			if err != nil {
				t.Fatalf("decoded step does not re-encode: %v", err)
			}
			if !bytes.Equal(again, b) {
				t.Fatal("decoded step re-encodes to different bytes")
			}
		}
		if ef, err := DecodeError(b); err == nil {
			again, err := AppendError(nil, ef)
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("decoded error frame re-encodes differently (%v)", err)
			}
		}
	}
}

// FuzzReassembler feeds a real frame's chunks, in an order picked by seed, interleaved with
// fuzzer-made noise chunks (length-prefixed pieces of noise, often valid-looking envelopes).
// It never panics, never exceeds its bounds, and rebuilds the real frame exactly unless the
// noise got it evicted, which it must then report.
func FuzzReassembler(f *testing.F) {
	c, _ := NewChunker(ChunkHeaderSize + 16)
	var seedNoise []byte
	for _, ch := range chunksOf(f, c, randomBytes(9, 40)) {
		seedNoise = binary.LittleEndian.AppendUint16(seedNoise, uint16(len(ch)))
		seedNoise = append(seedNoise, ch...)
	}
	f.Add(randomBytes(1, 100), uint16(30), uint64(1), seedNoise)
	f.Add([]byte{}, uint16(0), uint64(2), []byte{})
	f.Add(randomBytes(2, 3000), uint16(500), uint64(3), []byte("\x05\x00HYMC\x01"))
	f.Fuzz(func(t *testing.T, frame []byte, stride uint16, seed uint64, noise []byte) {
		const maxFrame, maxBuffered, maxIncomplete = 1 << 14, 1 << 16, 1 << 10
		if len(frame) > maxFrame {
			frame = frame[:maxFrame]
		}
		ck, err := NewChunker(ChunkHeaderSize + 1 + int(stride))
		if err != nil {
			t.Fatal(err)
		}
		ours := false // whether our frame was evicted, which noise may legitimately cause
		onDrop := func(err error) { ours = ours || err.(*DropError).Sender == ck.Sender() }
		r, err := NewReassembler(ReassemblerConfig{MaxFrameBytes: maxFrame, MaxBufferedBytes: maxBuffered, MaxIncomplete: maxIncomplete, OnDrop: onDrop})
		if err != nil {
			t.Fatal(err)
		}
		chunks := chunksOf(t, ck, frame)
		feed := mixChunks(chunks, noisePieces(noise, seed), seed)
		rebuilt := 0
		for _, ch := range feed {
			got, _ := r.Add(ch)
			if got != nil && bytes.Equal(got, frame) {
				rebuilt++
			}
			if n, b := r.Pending(); n > maxIncomplete || b > maxBuffered {
				t.Fatalf("Pending %d frames, %d bytes exceeds the bounds", n, b)
			}
		}
		if rebuilt == 0 && !ours {
			t.Fatalf("frame of %d bytes in %d chunks was not rebuilt", len(frame), len(chunks))
		}
	})
}

// noisePieces cuts noise into length-prefixed pieces and gives every other piece that is long
// enough a correct chunk CRC, so that noise reaches the header checks and the frame table.
func noisePieces(noise []byte, seed uint64) [][]byte {
	var out [][]byte
	for len(noise) >= 2 {
		n := int(binary.LittleEndian.Uint16(noise))
		noise = noise[2:]
		n = min(n, len(noise))
		piece := noise[:n]
		if n >= ChunkHeaderSize && (seed>>(len(out)%64))&1 == 1 {
			piece = resealChunk(piece)
		}
		out = append(out, piece)
		noise = noise[n:]
	}
	return out
}

// mixChunks shuffles the real chunks and inserts the noise between them, deterministically.
func mixChunks(real, noise [][]byte, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, seed>>32))
	real = append([][]byte(nil), real...)
	rng.Shuffle(len(real), func(i, j int) { real[i], real[j] = real[j], real[i] })
	out := make([][]byte, 0, len(real)+len(noise))
	for len(real)+len(noise) > 0 {
		if len(noise) > 0 && (len(real) == 0 || rng.IntN(2) == 0) {
			out, noise = append(out, noise[0]), noise[1:]
		} else {
			out, real = append(out, real[0]), real[1:]
		}
	}
	return out
}
