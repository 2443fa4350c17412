package worker

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/hymbaserve/hymbaserve/model"
	"github.com/hymbaserve/hymbaserve/pipeline"
)

// TestImportTakesOnlyItsMigration: the prepared stage takes the state of the migration it was
// prepared for and refuses a late import of another (an aborted one), naming both; a body
// without a gen, or with nothing prepared, is refused too.
func TestImportTakesOnlyItsMigration(t *testing.T) {
	cfg, err := model.LoadConfig("../testdata/golden/tiny-hymba")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(cfg, model.RandomTensors(cfg, 1, false), model.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	from := pipeline.NewStage(m, 1)
	body, err := from.Export(nil, 0, cfg.NumHiddenLayers)
	if err != nil {
		t.Fatal(err)
	}
	of := func(gen uint64) []byte { return append(binary.LittleEndian.AppendUint64(nil, gen), body...) }
	w := New(Config{ID: "w"})
	if _, err := w.importState(of(7)); err == nil || !strings.Contains(err.Error(), "nothing prepared") {
		t.Fatalf("import with nothing prepared: %v", err)
	}
	w.prepared, w.prepGen = pipeline.NewStage(m, 0), 7
	for _, tc := range []struct {
		data []byte
		want string
	}{{of(8), "migration 8, the stage is prepared for migration 7"}, {[]byte{1, 2, 3}, "not even a migration gen"}} {
		if _, err := w.importState(tc.data); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("import %d bytes: %v, want an error containing %q", len(tc.data), err, tc.want)
		}
	}
	if n, err := w.importState(of(7)); err != nil || n != 0 {
		t.Fatalf("import of its own migration: %d sequences, %v", n, err)
	}
}
