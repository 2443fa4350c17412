//go:build !unix

package checkpoint

import (
	"fmt"
	"os"
)

// mapFile reads the whole file into memory where no mmap is available (Windows, Plan 9, wasm).
// Tensors then alias an ordinary heap buffer instead of the page cache.
func mapFile(path string) (data []byte, release func() error, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: not a regular file", path)
	}
	data, err = os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}
