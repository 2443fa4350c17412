// Package checkpoint reads and writes Hugging Face safetensors checkpoints, memory-mapped.
//
// # Format
//
// A safetensors file is
//
//	offset   bytes  content
//	0        8      N, little-endian uint64: length of the JSON header
//	8        N      JSON object {name: {"dtype", "shape", "data_offsets": [begin, end]}, ...,
//	                "__metadata__": {string: string}} (optional), padded with spaces
//	8+N      ...    data section; begin and end are relative to its start
//
// Tensor data is row-major and little-endian. Every dtype of the specification is recognised
// (BOOL, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64,
// C64, and the packed F4, F6_E2M3, F6_E3M2), so that any checkpoint opens, lists and can be
// re-exported byte for byte; only F32, BF16 and F16 can be read as values (Tensor.Float32), and
// reading any other dtype's values is an error naming the file, tensor and dtype.
//
// # Validation
//
// ParseHeader checks everything before any tensor is touched, and Open and Parse refuse a file
// that fails: the length prefix against the file size and MaxHeaderSize (100 MB, the reference
// limit); UTF-8 and JSON validity, with nothing but spaces after the object; names listed twice;
// known dtypes; shape entries non-negative integers whose product, times the dtype width, does
// not overflow and equals end-begin; 0 <= begin <= end <= size of the data section; no two
// tensors sharing a byte. Every such error is an *Error naming the file and the tensor, or
// "header" for the file as a whole; I/O errors (missing file, permissions) are wrapped with the
// path and, for a shard, the index that names it. Nothing panics on malformed input
// (FuzzParseHeader checks this).
//
// Decisions where the specification is silent or the reference is stricter than needed:
//   - Gaps between tensors and bytes after the last one are accepted (the reference writer
//     never produces them, but they are harmless); overlaps are refused.
//   - Unknown fields inside a tensor entry are ignored, for forward compatibility.
//   - An empty tensor name is refused (it could not be named in errors).
//
// # Sharded checkpoints
//
// Open accepts a directory holding model.safetensors (preferred, as in transformers) or
// model.safetensors.index.json, or the path of either file. The index's "weight_map" {tensor:
// shard} is the table of contents: every listed tensor must be in its shard, tensors a shard
// holds but the index does not list are not visible, and the index's own "metadata" (total_size)
// is not used. Shard paths must be relative and stay inside the index's directory (no "..",
// no absolute path); symbolic links are followed, as the Hugging Face cache links snapshots to
// blobs. Metadata() of a sharded checkpoint is the union of the shards' "__metadata__", the first
// shard in name order winning on a conflicting key.
//
// # Memory mapping and lifetime
//
// On unix systems every file is mapped read-only and shared (syscall.Mmap); elsewhere it is read
// into memory with os.ReadFile. Tensor.Data points into the mapping with no copy. It is
// read-only: writing through it, or through a zero-copy slice from Float32 or BFloat16, faults.
// Everything obtained from a Checkpoint is valid only until Close; Close unmaps the files and
// using a tensor after it faults. A mapped file must not be truncated or rewritten in place
// while open (reads would fault); Write replaces files by rename, which is safe. For Parse the
// tensors alias the caller's buffer instead.
//
// # Alignment and copies
//
// Float32 returns a zero-copy view of F32 data when it is 4-byte aligned on a little-endian
// machine, and a copy otherwise (a data section that does not start on a 4-byte boundary, or an
// odd offset); BFloat16 does the same with 2-byte alignment. Files from Write, like the
// reference writer's, pad the header to 8 bytes, so the data section starts 8-byte aligned and
// every F32 tensor in them is aligned. BF16 and F16 values are always widened exactly into a
// new slice: bf16 is the top half of a float32, and every binary16 value (subnormals, ±Inf and
// NaN payloads included) is a float32.
//
// # Writing
//
// Write and WriteTo lay tensors out in the order given at consecutive offsets, "__metadata__"
// first (omitted when empty), and pad the header with spaces to a multiple of 8 bytes. They
// refuse what the reader would refuse, before writing anything. Write goes through a
// temporary file, fsync and rename, so readers never see a partial file.
//
// Usage:
//
//	c, err := checkpoint.Open("/models/Hymba-1.5B-Base")
//	if err != nil { ... }
//	defer c.Close()
//	t, err := c.Tensor("model.embed_tokens.weight") // t.Shape [32001 1600], t.DType BF16
//	bits, err := t.BFloat16()                       // zero-copy view into the mapping
package checkpoint
