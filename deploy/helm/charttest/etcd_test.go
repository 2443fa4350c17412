package charttest

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"go.etcd.io/etcd/pkg/v3/flags"
	"go.etcd.io/etcd/server/v3/embed"

	"github.com/hymbaserve/hymbaserve/internal/devstack"
)

// checkEtcdEndpoints checks --etcd of the coordinator and the workers: the chart's etcd
// members' advertised client URLs, or etcd.endpoints.
func checkEtcdEndpoints(t *testing.T, r *rendering) {
	want := []string{}
	if r.value(t, "etcd.enabled") == true {
		ss, ok := object[*appsv1.StatefulSet](r.m, "StatefulSet", fullname+"-etcd")
		if !ok {
			t.Fatal("etcd.enabled, but no etcd StatefulSet")
		}
		for i := range int(*ss.Spec.Replicas) {
			fs := etcdFlags(t, ss, i)
			want = append(want, fs.Lookup("advertise-client-urls").Value.String())
		}
	} else {
		for _, e := range r.value(t, "etcd.endpoints").([]any) {
			want = append(want, e.(string))
		}
	}
	for _, c := range []*corev1.Container{r.cc, r.wc} {
		if got := strings.Split(args(t, c)["--etcd"], ","); !slices.Equal(got, want) {
			t.Errorf("%s --etcd=%v, want %v", c.Name, got, want)
		}
	}
}

// etcdFlags parses the arguments of etcd member i with etcd's own flag set, after the
// $(POD_NAME) expansion the kubelet does.
func etcdFlags(t *testing.T, ss *appsv1.StatefulSet, i int) *flag.FlagSet {
	t.Helper()
	c, ok := container(&ss.Spec.Template, "etcd")
	if !ok {
		t.Fatal("no etcd container")
	}
	pod := fmt.Sprintf("%s-%d", ss.Name, i)
	var expanded []string
	for _, a := range c.Args {
		expanded = append(expanded, strings.ReplaceAll(a, "$(POD_NAME)", pod))
	}
	fs := flag.NewFlagSet("etcd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	embed.NewConfig().AddFlags(fs)
	// etcdmain adds this one to embed's flags (etcdmain/config.go, newConfig).
	fs.Var(flags.NewSelectiveStringValue(embed.ClusterStateFlagNew, embed.ClusterStateFlagExisting), "initial-cluster-state", "")
	if err := fs.Parse(expanded); err != nil || fs.NArg() != 0 {
		t.Fatalf("etcd member %s: its arguments do not parse as etcd flags: %v %v", pod, err, fs.Args())
	}
	return fs
}

// TestEtcdMembers checks the etcd StatefulSet against etcd's rules: every member is named
// after its pod, appears in --initial-cluster with the peer URL it advertises, advertises
// addresses of the headless Service, listens on the container's ports and keeps its data
// on its volume. The probe paths are fetched from a real etcd server.
func TestEtcdMembers(t *testing.T) {
	r := renderRelease(t, valueSet{name: "default"})
	ss, _ := object[*appsv1.StatefulSet](r.m, "StatefulSet", fullname+"-etcd")
	c, _ := container(&ss.Spec.Template, "etcd")
	n := int(*ss.Spec.Replicas)
	for i := range n {
		fs := etcdFlags(t, ss, i)
		get := func(name string) string { return fs.Lookup(name).Value.String() }
		pod := fmt.Sprintf("%s-%d", ss.Name, i)
		host := pod + "." + ss.Spec.ServiceName + svcSuffix
		members := strings.Split(get("initial-cluster"), ",")
		peer := get("initial-advertise-peer-urls")
		if get("name") != pod || len(members) != n || !slices.Contains(members, pod+"="+peer) {
			t.Errorf("member %s: --name=%s, --initial-cluster=%v, peer URL %s", pod, get("name"), members, peer)
		}
		checkURL(t, pod, "advertise-client-urls", get("advertise-client-urls"), host, namedPort(c, "client"))
		checkURL(t, pod, "initial-advertise-peer-urls", peer, host, namedPort(c, "peer"))
		checkURL(t, pod, "listen-client-urls", get("listen-client-urls"), "0.0.0.0", namedPort(c, "client"))
		checkURL(t, pod, "listen-peer-urls", get("listen-peer-urls"), "0.0.0.0", namedPort(c, "peer"))
		checkURL(t, pod, "listen-metrics-urls", get("listen-metrics-urls"), "0.0.0.0", namedPort(c, "metrics"))
		if !underMount(c, "data", get("data-dir")) {
			t.Errorf("member %s: --data-dir=%s is not on the data volume", pod, get("data-dir"))
		}
	}
	e, err := devstack.StartEtcd(filepath.Join(t.TempDir(), "etcd"), devstack.EtcdOptions{FastTicks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	checkProbesServed(t, c, e.Endpoints()[0])
}

func checkURL(t *testing.T, pod, flag, raw, host string, port int32) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Hostname() != host || u.Port() != fmt.Sprint(port) || port == 0 {
		t.Errorf("member %s: --%s=%s, want http://%s:%d", pod, flag, raw, host, port)
	}
}

// underMount reports whether path lies on the container's mount of volume.
func underMount(c *corev1.Container, volume, path string) bool {
	for _, vm := range c.VolumeMounts {
		if vm.Name == volume && strings.HasPrefix(path, strings.TrimSuffix(vm.MountPath, "/")+"/") {
			return true
		}
	}
	return false
}
