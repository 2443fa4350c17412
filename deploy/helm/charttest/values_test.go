package charttest

import (
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"helm.sh/helm/v3/pkg/strvals"
)

// TestLint runs helm lint for Kubernetes v1.33 on every value set: no warnings, no errors.
func TestLint(t *testing.T) {
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	for _, vs := range valueSets(t) {
		res := lint.AllWithKubeVersion(chartDir, vs.values(t), namespace, kv)
		for _, msg := range res.Messages {
			if msg.Severity >= support.WarningSev {
				t.Errorf("%s: helm lint: %s", vs.name, msg)
			} else {
				t.Logf("%s: helm lint: %s", vs.name, msg)
			}
		}
	}
}

// TestKubeVersion installs on the oldest supported Kubernetes and refuses an older one.
func TestKubeVersion(t *testing.T) {
	if _, err := install(t, nil, "v1.30.0"); err != nil {
		t.Errorf("Kubernetes v1.30: %v", err)
	}
	_, err := install(t, nil, "v1.29.9")
	if err == nil || !strings.Contains(err.Error(), "kubeVersion") {
		t.Errorf("Kubernetes v1.29: got %v, want an error about the chart's kubeVersion", err)
	}
}

// TestSchemaRejects checks that values.schema.json refuses bad values with an error that
// names the value at fault.
func TestSchemaRejects(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"worker.replicas=three", "/worker/replicas"},
		{"workers.replicas=3", "workers"},
		{"coordinator.grpcPort=70000", "/coordinator/grpcPort"},
		{"coordinator.resources.requests.memory=8 GB", "/coordinator/resources/requests/memory"},
		{"model.source=s3", "/model/source"},
		{"model.dir=../etc", "/model/dir"},
		{"etcd.replicas=2", "/etcd/replicas"},
		{"etcd.endpoints[0]=etcd:2379", "/etcd/endpoints/0"},
		{"nats.url=http://nats:4222", "/nats/url"},
		{"nats.maxPayload=1 megabyte", "/nats/maxPayload"},
		{"worker.leaseTTL=10", "/worker/leaseTTL"},
		{"coordinator.rebalanceInterval=never", "/coordinator/rebalanceInterval"},
		{"worker.autoscaling.targetCPUUtilizationPercentage=150", "/worker/autoscaling/targetCPUUtilizationPercentage"},
		{"logLevel=verbose", "/logLevel"},
		{"clusterName=no spaces", "/clusterName"},
		{"metrics.serviceMonitor.interval=1.5s", "/metrics/serviceMonitor/interval"},
		{"coordinator.pdb.minAvailable=0", "/coordinator/pdb/minAvailable"},
	} {
		vals := map[string]any{}
		if err := strvals.ParseInto(tc.set, vals); err != nil {
			t.Fatal(err)
		}
		_, err := install(t, vals, kubeVersion)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--set %s: got %v, want a schema error naming %s", tc.set, err, tc.want)
		}
	}
}

// TestValueChecks checks the chart's checks across values: each combination fails with a
// message naming the value to fix.
func TestValueChecks(t *testing.T) {
	for _, tc := range []struct {
		set  []string
		want string
	}{
		{[]string{"etcd.enabled=false"}, "etcd.endpoints: give the external etcd endpoints"},
		{[]string{"nats.enabled=false"}, "nats.url: give the external NATS URL"},
		{[]string{"model.source=pvc"}, "model.pvc.claimName"},
		{[]string{"model.source=hostPath"}, "model.hostPath.path"},
		{[]string{"model.source=download", "model.mountOnWorkers=true"}, "model.mountOnWorkers"},
		{[]string{"model.mountOnWorkers=true"}, "model.mountOnWorkers"},
		{[]string{"coordinator.publishWeights=false"}, "coordinator.publishWeights"},
		{[]string{"security.tls.enabled=true"}, "security.tls"},
		{[]string{"security.tls.enabled=true", "security.tls.clientSecret=c"}, "security.tls.clientSecret: the chart's own etcd and NATS"},
		{[]string{"security.tls.enabled=true", "security.tls.clientSecret=c", "etcd.enabled=false", "etcd.endpoints[0]=http://etcd:2379"},
			`etcd.endpoints: "http://etcd:2379" is not https://`},
		{[]string{"worker.autoscaling.enabled=true", "worker.autoscaling.minReplicas=9"}, "worker.autoscaling: minReplicas 9 is above maxReplicas 8"},
		{[]string{"coordinator.replicas=1"}, "coordinator.pdb.minAvailable: 1 of 1 coordinators would allow no eviction"},
	} {
		vals := map[string]any{}
		for _, s := range tc.set {
			if err := strvals.ParseInto(s, vals); err != nil {
				t.Fatal(err)
			}
		}
		_, err := install(t, vals, kubeVersion)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--set %s: got %v, want an error containing %q", strings.Join(tc.set, ","), err, tc.want)
		}
	}
}
