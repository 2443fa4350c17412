// Package wire is the binary format of the data plane: the frames that carry one pipeline step
// (token ids, hidden states, logits) between the coordinator and the worker stages, the error
// frame a stage answers with, and the chunk envelope that splits a frame into pieces no larger
// than the network's per-message limit (NATS: 1 MiB by default).
//
// Every integer is little-endian. Every frame ends with a CRC32C (Castagnoli) of all the bytes
// before it, and every chunk carries a CRC32C of its header and data, so a flipped bit is an
// error, never a wrong activation. Decoders check every length, count and bound before they
// allocate or index, allocate at most in proportion to the input, and never panic: bad input
// is an error that names the field at fault, and wraps one of ErrShort, ErrMagic, ErrVersion,
// ErrChecksum or ErrInvalid.
//
// # Versions
//
// A frame's version byte must lie in [ProtocolVersionMin, ProtocolVersionMax]. Version 1 is the
// only version. Kind, DType, segment flag bits and error codes are append-only enums: their
// numeric values are part of the protocol. Reserved fields and undefined flag bits must be zero;
// decoders reject them, so a later version can give them a meaning without being misread.
//
// # Frame header (12 bytes, every frame)
//
//	offset  size  field    meaning
//	0       4     magic    "HYMW" (0x48 0x59 0x4d 0x57)
//	4       1     version  ProtocolVersion (1)
//	5       1     kind     1 Tokens, 2 Hidden, 3 Logits, 4 Error
//	6       2     flags    frame flags; none are defined in version 1, must be 0
//	8       4     length   total frame length in bytes, header and CRC included
//
// # Step frame (kind Tokens, Hidden or Logits)
//
//	offset     size          field     meaning
//	0          12            header    as above
//	12         8             epoch     plan epoch (etcd revision of the layer plan) the step runs under
//	20         8             step      step id, unique per coordinator; replies echo it
//	28         4             replica   pipeline replica the step runs on
//	32         4             hop       stage index the frame is addressed to (0 = first stage)
//	36         4             nseg      number of segments N (≥ 1)
//	40         20·N          segments  segment table, one entry per sequence, in payload row order
//	P=40+20·N  1             dtype     1 I32, 2 F32, 3 BF16
//	P+1        3             reserved  must be 0
//	P+4        4             rows      payload rows R
//	P+8        4             width     values per row W (≥ 1)
//	P+12       R·W·size      data      row-major values, little-endian; size 4 (I32, F32) or 2 (BF16)
//	length-4   4             crc       CRC32C of bytes [0, length-4)
//
// The data starts at a multiple of 4 bytes from the frame start.
//
// Segment table entry (20 bytes), describing the rows of one sequence:
//
//	offset  size  field  meaning
//	+0      8     seq    sequence id; at most one segment per sequence in a frame
//	+8      4     start  text tokens already processed for the sequence (its position offset)
//	+12     4     rows   payload rows that belong to the sequence
//	+16     4     flags  bit 0 First: first chunk of a new sequence, prepend the meta tokens
//	                     bit 1 PromptEnd: the chunk ends the prompt
//	                     bit 2 Release: free the sequence's state after this step
//	                     bit 3 AllLogits: return logits for every row, not only the last
//	                     other bits must be 0
//
// Rules a valid step frame obeys (Step.Validate checks them on both ends):
//   - Tokens frames carry I32 token ids, one per row (width 1), none negative. Hidden and Logits
//     frames carry F32 or BF16.
//   - The segments' rows add up to the payload rows; sequence ids are distinct.
//   - A First segment has start 0, and start+rows fits in 32 bits.
//   - In Tokens and Hidden frames a segment has rows ≥ 1, except a release-only segment (Release
//     set, rows 0) that asks every stage to free the sequence's state.
//   - In a Logits frame a segment's rows count the logits rows returned for it: any number with
//     AllLogits, otherwise 0 (a mid-prompt chunk, or a release) or 1 (the last row).
//   - Flags travel unchanged from hop to hop; the last stage echoes them in its Logits frame.
//
// # Error frame (kind Error)
//
// A stage answers a step it cannot run with an error frame on the coordinator's subject.
//
//	offset  size  field     meaning
//	0       12    header    as above
//	12      8     epoch     the epoch of the stage that reports the error
//	20      8     step      step id of the step that failed (0 when unknown)
//	28      8     seq       sequence at fault, for CodeUnknownSequence; 0 otherwise
//	36      4     hop       stage index of the reporter
//	40      2     code      1 StaleEpoch, 2 Malformed, 3 UnknownSequence, 4 Internal, 5 Overloaded,
//	                        6 ShuttingDown; 0 is invalid, other values are decoded as unknown codes
//	42      1     wlen      worker id length K (≤ MaxWorkerIDLen)
//	43      1     reserved  must be 0
//	44      2     mlen      message length M (≤ MaxMessageLen)
//	46      K     worker    reporter's worker id, UTF-8
//	46+K    M     message   human-readable message, UTF-8
//	46+K+M  4     crc       CRC32C of bytes [0, 46+K+M)
//
// # Chunk envelope
//
// The transport wraps every message in a chunk envelope: a frame that fits in one network
// message travels as one chunk (count 1), a larger one as count chunks of stride data bytes
// each (the last one shorter). Chunk envelopes carry arbitrary bytes, not only frames.
//
//	offset  size  field    meaning
//	0       4     magic    "HYMC" (0x48 0x59 0x4d 0x43)
//	4       1     version  ChunkVersion (1)
//	5       3     reserved must be 0
//	8       8     sender   random id of the sending Chunker; frames are keyed by (sender, frame)
//	16      8     frame    frame id, increasing per sender
//	24      4     index    chunk index i, 0 ≤ i < count
//	28      4     count    number of chunks, 1 ≤ count ≤ MaxChunks, = ceil(total/stride) when total > 0
//	32      4     total    frame length in bytes
//	36      4     stride   data bytes in every chunk but the last (≥ 1)
//	40      4     crc      CRC32C of bytes [0, 40) followed by the data
//	44      …     data     frame bytes [i·stride, min(total, (i+1)·stride))
//
// A Reassembler collects chunks per (sender, frame) key. It bounds the bytes held by
// incomplete frames, the number of incomplete frames and their idle age, evicts the least
// recently active frame when a bound is hit, reports every eviction, and rejects malformed,
// duplicate and inconsistent chunks with an error while keeping the rest of the frame.
package wire
