package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// openIndex opens a sharded checkpoint from its index file: {"metadata": {...}, "weight_map":
// {tensor: shard file}}. The index's own "metadata" (total_size) is informational and not used.
func openIndex(path string) (*Checkpoint, error) {
	weightMap, err := readWeightMap(path)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{path: path, owner: make(map[string]*File, len(weightMap)), meta: map[string]string{}}
	if err := c.openShards(path, weightMap); err != nil {
		return nil, errors.Join(err, closeFiles(c.files))
	}
	c.names = slices.Sorted(maps.Keys(c.owner))
	return c, nil
}

// readWeightMap reads the index and checks that every shard path stays inside its directory.
func readWeightMap(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var top struct {
		WeightMap json.RawMessage `json:"weight_map"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, headerErr(path, "invalid index JSON: %v", err)
	}
	if len(top.WeightMap) == 0 || string(top.WeightMap) == "null" {
		return nil, headerErr(path, "index has no weight_map")
	}
	weightMap, err := decodeWeightMap(top.WeightMap, path)
	if err != nil {
		return nil, err
	}
	if len(weightMap) == 0 {
		return nil, headerErr(path, "weight_map is empty")
	}
	return weightMap, nil
}

// decodeWeightMap decodes {tensor: shard}, refusing duplicate tensors and shard paths that are
// empty, absolute or climb out of the checkpoint directory with "..".
func decodeWeightMap(raw []byte, path string) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, headerErr(path, "weight_map is not a JSON object")
	}
	m := make(map[string]string)
	err := forEachKey(dec, path, func(name string) error {
		var shard string
		if err := dec.Decode(&shard); err != nil {
			return tensorErr(path, name, "weight_map value must be a file name: %v", err)
		}
		if _, dup := m[name]; dup {
			return tensorErr(path, name, "listed twice in weight_map")
		}
		if !filepath.IsLocal(filepath.FromSlash(shard)) {
			return tensorErr(path, name, "shard path %q is empty, absolute or escapes the checkpoint directory", shard)
		}
		m[name] = shard
		return nil
	})
	return m, err
}

// openShards maps each distinct shard once, in name order, and checks that every tensor the
// index lists is in its shard. Tensors a shard holds but the index does not list are ignored:
// the weight_map is the checkpoint's table of contents.
func (c *Checkpoint) openShards(index string, weightMap map[string]string) error {
	dir := filepath.Dir(index)
	byShard := make(map[string][]string)
	for name, shard := range weightMap {
		byShard[shard] = append(byShard[shard], name)
	}
	for _, shard := range slices.Sorted(maps.Keys(byShard)) {
		names := slices.Sorted(slices.Values(byShard[shard]))
		f, err := openFile(filepath.Join(dir, filepath.FromSlash(shard)))
		if err != nil {
			return shardErr(index, shard, names, err)
		}
		c.files = append(c.files, f)
		for k, v := range f.header.Metadata {
			if _, set := c.meta[k]; !set {
				c.meta[k] = v
			}
		}
		for _, name := range names {
			if !f.Has(name) {
				return tensorErr(f.name, name, "listed in %s but %w in this shard", filepath.Base(index), ErrNotFound)
			}
			c.owner[name] = f
		}
	}
	return nil
}

// shardErr puts an I/O error on a shard (missing file, permissions) in the context of the index
// that named it. Header errors already name the shard file and are returned unchanged.
func shardErr(index, shard string, names []string, err error) error {
	if _, ok := errors.AsType[*Error](err); ok {
		return err
	}
	listed := fmt.Sprintf("listed for %q", names[0])
	if len(names) > 1 {
		listed += fmt.Sprintf(" and %d more tensors", len(names)-1)
	}
	return fmt.Errorf("checkpoint: %s: shard %q (%s): %w", index, shard, listed, err)
}
