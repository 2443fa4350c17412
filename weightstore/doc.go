// Package weightstore distributes model weights to workers through the NATS JetStream Object
// Store, so that a worker without a model directory of its own fetches only the tensors of the
// layers it serves.
//
// The coordinator calls Publish once with its checkpoint (or the demo weights); a worker serving
// layers [First, Last) calls Fetch and passes the result to model.New:
//
//	m, err := weightstore.Publish(ctx, js, "hymba-weights", cfg, ck, "Hymba-1.5B-Base")
//	...
//	cfg, src, err := weightstore.Fetch(ctx, js, "hymba-weights", 8, 16)
//	part, err := model.New(cfg, src, model.LoadOptions{First: 8, Last: 16})
//
// # Objects
//
// A bucket holds one model:
//
//	object        content
//	layer.<i>     safetensors blob of every tensor named "model.layers.<i>.…", sorted by name
//	embed         safetensors blob of model.embed_tokens.weight (also the tied LM head)
//	meta          safetensors blob of model.memory_tokens (absent for a model without meta tokens)
//	final_norm    safetensors blob of model.final_layernorm.weight
//	config.json   the model's config.json (model.Config as indented JSON)
//	manifest      JSON table of contents, below; written last
//
// Layer tensors are taken from the source by the prefix "model.layers.<i>.", not from a list, so
// tensors a future checkpoint adds to a layer travel with it. A tensor under that prefix whose
// index is not a layer of config.json makes Publish fail (checkpoint and config disagree);
// tensors outside the layers other than the three above are not published. Blobs are written
// with checkpoint.WriteTo (header padded to 8 bytes, so F32 data stays aligned) with
// "__metadata__" {"format": "pt"}, dtypes and bytes exactly as in the source. Objects are put in
// 1 MiB chunks (ChunkSize), less when the server's max_payload is smaller, and streamed from the
// source: Publish never holds a whole object in memory.
//
// A worker serving [First, Last) fetches manifest, config.json, layer.First … layer.(Last-1),
// and embed and meta when First == 0, embed and final_norm when Last == num_hidden_layers
// (embed once when it is both). Nothing else is transferred.
//
// # Manifest
//
//	{
//	  "format": 1,
//	  "model": "tiny-hymba",
//	  "num_layers": 8,
//	  "objects": {
//	    "config.json": {"sha256": "a79d8516…4289a", "size": 1895},
//	    "embed": {"sha256": "d2e2f4a1…121c3", "size": 98432},
//	    "final_norm": {"sha256": "7d1d75d9…5da4d", "size": 320},
//	    "layer.0": {"sha256": "bd37c628…ffa1e", "size": 314620},
//	    …
//	    "layer.7": {"sha256": "f7b97bfc…83ea2", "size": 314620},
//	    "meta": {"sha256": "e3b10e85…3c3f4", "size": 1656}
//	  }
//	}
//
// (the golden tiny-hymba BF16 checkpoint; hashes shortened here, 64 hex digits in the object,
// which is indented JSON with one field per line).
//
// "format" is FormatVersion; a reader refuses any other. "model" is the name given to Publish.
// "objects" lists every object but the manifest itself, with the SHA-256 of its bytes and their
// length. A reader ignores unknown fields and unknown object names (for forward compatibility)
// but refuses a manifest that lacks config.json, embed, final_norm or a layer object below
// num_layers, lists a layer at or beyond num_layers, or has an entry without a 64-digit
// lowercase hex sha256 and a positive size. Keys come out sorted, so equal content gives equal
// bytes.
//
// # Verification
//
// Fetch checks each object's size against the manifest from the object's metadata before any
// chunk is transferred, then the SHA-256 of the bytes received (the object store also checks its
// own digest of the chunks). It checks that config.json parses and validates and agrees with the
// manifest (layer count; meta listed when the config has meta tokens), and that each blob parses
// (checkpoint.Parse, full header validation) and holds what its name promises: only tensors of
// layer i in layer.<i>, exactly the one tensor in embed, meta and final_norm. Errors are *Error
// values naming the bucket and object at fault and wrapping ErrMissing (bucket, manifest or
// object absent), ErrHashMismatch, ErrLayerRange (the range checked before anything but the
// manifest is transferred) or ErrBadManifest.
//
// # Re-publishing
//
// Before uploading an object Publish compares the SHA-256 and size it computes with those the
// object store records for the object already there (metadata only, no download) and skips it
// when they match; the manifest is treated the same way. Re-publishing identical content thus
// transfers no object: the returned Manifest has Uploaded empty and every object, manifest
// included, in Skipped. Changing one layer re-uploads that layer and the manifest only; an
// interrupted publish resumes where it stopped. Objects this package names that the new manifest
// does not list (the extra layers of a deeper model published before, or meta) are deleted after
// the new manifest is written and reported in Deleted; other objects in the bucket are left
// alone.
//
// The manifest is the commit point: it is written after every object it lists, so a reader never
// sees a manifest whose objects are not there yet. Objects are replaced in place, though, so a
// Fetch that runs while different content is being published can fail with ErrHashMismatch or
// ErrMissing; the worker retries once the new manifest is in place (ReadManifest shows it).
//
// # Memory
//
// Fetch downloads each object into one buffer of its exact size and parses it in place: the
// returned *Weights aliases those buffers (no second copy), and BF16 matrices stay BF16 in the
// model built from it. Fetched weights of a stage therefore cost their size once.
package weightstore
