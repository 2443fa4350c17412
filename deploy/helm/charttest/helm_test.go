package charttest

import (
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	"helm.sh/helm/v3/pkg/strvals"
)

const (
	chartDir    = "../hymbaserve"
	examplesDir = "../examples"
	repoRoot    = "../../.."
	kubeVersion = "v1.33.0"
	namespace   = "hymba"
	releaseName = "rel"
	fullname    = "rel-hymbaserve"
	svcSuffix   = "." + namespace + ".svc.cluster.local"
)

// valueSet is a named set of values: the defaults, or an example file plus --set overrides.
type valueSet struct {
	name string
	file string   // in examplesDir; "" for none
	set  []string // helm --set syntax
}

// valueSets are the sets every test renders: the defaults and every example file.
func valueSets(t *testing.T) []valueSet {
	t.Helper()
	sets := []valueSet{{name: "default"}}
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if err != nil || len(files) < 4 {
		t.Fatalf("examples: %v, %v", files, err)
	}
	sort.Strings(files)
	for _, f := range files {
		sets = append(sets, valueSet{name: strings.TrimSuffix(filepath.Base(f), ".yaml"), file: filepath.Base(f)})
	}
	return append(sets, valueSet{name: "hostPath-gpu-no-drain", set: []string{"model.source=hostPath",
		"model.hostPath.path=/var/lib/hymba", "model.dir=Hymba-1.5B-Base", "model.mountOnWorkers=true",
		"worker.gpu.enabled=true", "worker.gpu.count=2", "worker.drain.enabled=false",
		"worker.drain.uncordonOnStart=false", "worker.pdb.enabled=false", "serviceAccount.create=false",
		"etcd.replicas=1", "nats.replicas=1"}},
		valueSet{name: "api-keys-only", set: []string{"security.apiKeys.existingSecret=keys", "security.apiKeys.key=list"}},
		valueSet{name: "server-tls-no-drain", set: []string{"security.tls.enabled=true", "security.tls.serverSecret=srv-tls",
			"worker.drain.enabled=false", "metrics.serviceMonitor.enabled=true"}},
		valueSet{name: "external-nats-tls", set: []string{"security.tls.enabled=true", "security.tls.clientSecret=cli-tls",
			"nats.enabled=false", "nats.url=tls://nats.infra:4222", "worker.drain.uncordonOnStart=false"}})
}

// values reads a set's values as helm install -f FILE --set ... would.
func (vs valueSet) values(t *testing.T) map[string]any {
	t.Helper()
	vals := map[string]any{}
	if vs.file != "" {
		v, err := chartutil.ReadValuesFile(filepath.Join(examplesDir, vs.file))
		if err != nil {
			t.Fatalf("%s: %v", vs.file, err)
		}
		vals = v.AsMap()
	}
	for _, s := range vs.set {
		if err := strvals.ParseInto(s, vals); err != nil {
			t.Fatalf("--set %s: %v", s, err)
		}
	}
	return vals
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return ch
}

// install renders the chart as `helm install --dry-run` would against a cluster of version
// kube, with no cluster: schema validation, kubeVersion check, templates, NOTES.
func install(t *testing.T, vals map[string]any, kube string) (*release.Release, error) {
	t.Helper()
	kv, err := chartutil.ParseKubeVersion(kube)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &action.Configuration{
		Releases:     storage.Init(driver.NewMemory()),
		KubeClient:   &kubefake.PrintingKubeClient{Out: io.Discard},
		Capabilities: chartutil.DefaultCapabilities,
		Log:          func(string, ...any) {},
	}
	inst := action.NewInstall(cfg)
	inst.DryRun, inst.ClientOnly, inst.Replace = true, true, true
	inst.ReleaseName, inst.Namespace, inst.KubeVersion = releaseName, namespace, kv
	return inst.Run(loadChart(t), vals)
}

// render installs a value set and decodes every object; it fails the test on any error.
func render(t *testing.T, vs valueSet) *manifest {
	t.Helper()
	rel, err := install(t, vs.values(t), kubeVersion)
	if err != nil {
		t.Fatalf("%s: helm install --dry-run: %v", vs.name, err)
	}
	m, err := decodeManifest(rel.Manifest)
	if err != nil {
		t.Fatalf("%s: %v", vs.name, err)
	}
	m.notes = rel.Info.Notes
	return m
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
