package pipeline

import (
	"strings"
	"testing"

	"github.com/hymbaserve/hymbaserve/kvshare"
)

// TestPlanDocKVDType: a plan document names its K/V page type (f32 when absent, for documents
// written before the field existed); an unknown one is refused with the field named.
func TestPlanDocKVDType(t *testing.T) {
	const plan = `"plan":{"layers":2,"replicas":[{"stages":[{"worker":"w","first":0,"last":2}]}]}`
	for _, c := range []struct {
		field string
		want  kvshare.DType
	}{{"", kvshare.F32}, {`"kv_dtype":"f32",`, kvshare.F32}, {`"kv_dtype":"bf16",`, kvshare.BF16}} {
		d, err := ParsePlanDoc([]byte(`{"model":"m",` + c.field + plan + `}`))
		if err != nil {
			t.Fatalf("%s: %v", c.field, err)
		}
		if got, _ := d.KV(); got != c.want {
			t.Fatalf("%s: K/V dtype %v, want %v", c.field, got, c.want)
		}
	}
	_, err := ParsePlanDoc([]byte(`{"model":"m","kv_dtype":"fp8",` + plan + `}`))
	if err == nil || !strings.Contains(err.Error(), "kv_dtype") || !strings.Contains(err.Error(), "fp8") {
		t.Fatalf("an unknown K/V dtype: %v, want an error naming kv_dtype and the value", err)
	}
}
