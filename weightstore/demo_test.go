package weightstore

import (
	"testing"

	"github.com/hymbaserve/hymbaserve/demo"
)

// TestPublishFetchDemo does the same with the built-in demo checkpoint (32 layers, BF16, held
// in memory as model.Tensors), split as three stages.
func TestPublishFetchDemo(t *testing.T) {
	roundTrip(t, startJS(t), "demo", demo.Config(), demo.Tensors(), [][2]int{{0, 3}, {3, 7}, {7, 32}})
}
