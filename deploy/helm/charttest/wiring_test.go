package charttest

import (
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"helm.sh/helm/v3/pkg/chartutil"
)

// rendering is one rendered value set with its effective values and the hymbaserve workloads.
type rendering struct {
	m      *manifest
	vals   chartutil.Values
	coord  *appsv1.Deployment
	worker *appsv1.StatefulSet
	cc, wc *corev1.Container // the coordinator and worker containers
}

func renderRelease(t *testing.T, vs valueSet) *rendering {
	t.Helper()
	m := render(t, vs)
	vals, err := chartutil.CoalesceValues(loadChart(t), vs.values(t))
	if err != nil {
		t.Fatal(err)
	}
	r := &rendering{m: m, vals: vals}
	var ok bool
	if r.coord, ok = object[*appsv1.Deployment](m, "Deployment", fullname+"-coordinator"); !ok {
		t.Fatalf("%s: no coordinator Deployment", vs.name)
	}
	if r.worker, ok = object[*appsv1.StatefulSet](m, "StatefulSet", fullname+"-worker"); !ok {
		t.Fatalf("%s: no worker StatefulSet", vs.name)
	}
	r.cc, _ = container(&r.coord.Spec.Template, "coordinator")
	r.wc, _ = container(&r.worker.Spec.Template, "worker")
	if r.cc == nil || r.wc == nil {
		t.Fatalf("%s: no coordinator or worker container", vs.name)
	}
	return r
}

// value returns a value of the effective values, e.g. "worker.gpu.enabled".
func (r *rendering) value(t *testing.T, path string) any {
	t.Helper()
	v, err := r.vals.PathValue(path)
	if err != nil {
		t.Fatalf("value %s: %v", path, err)
	}
	return v
}

// TestWiring checks, for every value set, that the objects agree with each other and with
// the binaries' flags: listen ports and container ports, probes and the health endpoints,
// hook commands and the coordinator Service, endpoints and the etcd and NATS objects.
func TestWiring(t *testing.T) {
	for _, vs := range valueSets(t) {
		t.Run(vs.name, func(t *testing.T) {
			r := renderRelease(t, vs)
			checkCoordinator(t, r)
			checkWorker(t, r)
			checkHooks(t, r)
			checkModel(t, r)
			checkEtcdEndpoints(t, r)
			checkNATSURL(t, r)
			checkServiceMonitor(t, r)
			checkSecurity(t, r)
			checkShellScripts(t, r.m)
		})
	}
}

// args parses a container's arguments, each of the form --name=value.
func args(t *testing.T, c *corev1.Container) map[string]string {
	t.Helper()
	f := map[string]string{}
	for _, a := range c.Args {
		name, val, ok := strings.Cut(a, "=")
		if !ok || !strings.HasPrefix(name, "--") {
			t.Fatalf("container %s: argument %q is not --name=value", c.Name, a)
		}
		if _, dup := f[name]; dup {
			t.Fatalf("container %s: %s given twice", c.Name, name)
		}
		f[name] = val
	}
	return f
}

// listenPort returns the port of a HOST:PORT flag value.
func listenPort(t *testing.T, flag, addr string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	n, err2 := strconv.Atoi(p)
	if err != nil || err2 != nil {
		t.Fatalf("%s=%q is not HOST:PORT", flag, addr)
	}
	return int32(n)
}

func namedPort(c *corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

// checkProbe checks that a probe GETs path on the container's named port.
func checkProbe(t *testing.T, c *corev1.Container, kind string, p *corev1.Probe, path, port string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port.String() != port {
		t.Errorf("%s %s probe: %+v, want GET %s on port %s", c.Name, kind, p, path, port)
	}
}

func checkCoordinator(t *testing.T, r *rendering) {
	f := args(t, r.cc)
	if strings.Join(r.cc.Command, " ") != "coordinator" {
		t.Errorf("coordinator command %q", r.cc.Command)
	}
	for flag, port := range map[string]string{"--grpc": "grpc", "--http": "http"} {
		if got, want := listenPort(t, flag, f[flag]), namedPort(r.cc, port); got != want || want == 0 {
			t.Errorf("coordinator %s=%s but container port %q is %d", flag, f[flag], port, want)
		}
	}
	checkProbe(t, r.cc, "startup", r.cc.StartupProbe, "/healthz", "http")
	checkProbe(t, r.cc, "liveness", r.cc.LivenessProbe, "/healthz", "http")
	checkProbe(t, r.cc, "readiness", r.cc.ReadinessProbe, "/readyz", "http")
	checkPodName(t, r.cc, f)
	checkGossip(t, r.cc, f)
	if want := fmt.Sprintf("$(POD_IP):%d", namedPort(r.cc, "grpc")); f["--advertise-grpc"] != want {
		t.Errorf("coordinator --advertise-grpc=%s, want %s: standbys forward to the leader's pod", f["--advertise-grpc"], want)
	}
	checkCoordinatorRollout(t, r)
	if f["--cluster"] != r.value(t, "clusterName") {
		t.Errorf("coordinator --cluster=%s, clusterName %v", f["--cluster"], r.value(t, "clusterName"))
	}
	svc, ok := object[*corev1.Service](r.m, "Service", fullname+"-coordinator")
	if !ok {
		t.Fatal("no coordinator Service")
	}
	for _, p := range svc.Spec.Ports {
		if p.TargetPort.String() != p.Name || namedPort(r.cc, p.Name) == 0 {
			t.Errorf("coordinator Service port %s targets %q", p.Name, p.TargetPort.String())
		}
	}
}

// checkPodName checks --id=$(POD_NAME), with POD_NAME from the downward API.
func checkPodName(t *testing.T, c *corev1.Container, f map[string]string) {
	t.Helper()
	if f["--id"] != "$(POD_NAME)" {
		t.Errorf("%s --id=%s, want $(POD_NAME)", c.Name, f["--id"])
	}
	checkFieldEnv(t, c, "POD_NAME", "metadata.name")
}

// checkGossip checks that gossip listens on the container's gossip ports (TCP and UDP) on
// every interface and advertises the pod IP with the same port.
func checkGossip(t *testing.T, c *corev1.Container, f map[string]string) {
	t.Helper()
	port := listenPort(t, "--gossip", f["--gossip"])
	host, _, _ := strings.Cut(f["--gossip"], ":")
	var tcp, udp bool
	for _, p := range c.Ports {
		tcp = tcp || (p.Name == "gossip" && p.ContainerPort == port && p.Protocol == corev1.ProtocolTCP)
		udp = udp || (p.Name == "gossip-udp" && p.ContainerPort == port && p.Protocol == corev1.ProtocolUDP)
	}
	if host != "0.0.0.0" || !tcp || !udp {
		t.Errorf("%s --gossip=%s, want 0.0.0.0 and container ports gossip (TCP) and gossip-udp (UDP) on its port", c.Name, f["--gossip"])
	}
	if want := fmt.Sprintf("$(POD_IP):%d", port); f["--gossip-advertise"] != want {
		t.Errorf("%s --gossip-advertise=%s, want %s", c.Name, f["--gossip-advertise"], want)
	}
	checkFieldEnv(t, c, "POD_IP", "status.podIP")
}

// checkFieldEnv checks that the container has env name from the downward API field path.
func checkFieldEnv(t *testing.T, c *corev1.Container, name, path string) {
	t.Helper()
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == path {
			return
		}
	}
	t.Errorf("%s: no %s from %s", c.Name, name, path)
}

func checkWorker(t *testing.T, r *rendering) {
	f := args(t, r.wc)
	if strings.Join(r.wc.Command, " ") != "worker" {
		t.Errorf("worker command %q", r.wc.Command)
	}
	if got, want := listenPort(t, "--http", f["--http"]), namedPort(r.wc, "http"); got != want || want == 0 {
		t.Errorf("worker --http=%s but container port http is %d", f["--http"], want)
	}
	checkProbe(t, r.wc, "liveness", r.wc.LivenessProbe, "/healthz", "http")
	checkProbe(t, r.wc, "readiness", r.wc.ReadinessProbe, "/readyz", "http")
	checkPodName(t, r.wc, f)
	checkGossip(t, r.wc, f)
	if r.value(t, "worker.gpu.enabled") == true {
		name := corev1.ResourceName(r.value(t, "worker.gpu.resourceName").(string))
		q, ok := r.wc.Resources.Limits[name]
		if want := fmt.Sprint(r.value(t, "worker.gpu.count")); !ok || q.String() != want {
			t.Errorf("worker GPU limit %s=%v, want %s", name, q.String(), want)
		}
	}
	if r.value(t, "worker.autoscaling.enabled") == true {
		if _, ok := object[*corev1.Service](r.m, "Service", fullname+"-worker"); !ok || r.worker.Spec.Replicas != nil {
			t.Error("autoscaled workers: the StatefulSet must leave replicas to the HPA")
		}
	}
}

var (
	// The second group holds the security flags (checkSecurity checks them).
	drainScript    = regexp.MustCompile(`^exec hymbactl drain --addr (\S+)((?: --\S+ \S+)*) "\$POD_NAME"$`)
	uncordonScript = regexp.MustCompile(`hymbactl uncordon --addr (\S+)((?: --\S+ \S+)*) "\$POD_NAME" && exit 0;`)
)

// checkHooks checks the worker's preStop drain and uncordon init container: both call
// hymbactl with the gRPC address of the coordinator Service, whose port leads to the
// coordinator container's --grpc port.
func checkHooks(t *testing.T, r *rendering) {
	want := coordinatorGRPC(t, r)
	if r.value(t, "worker.drain.enabled") == true {
		h := r.wc.Lifecycle
		if h == nil || h.PreStop == nil || h.PreStop.Exec == nil || len(h.PreStop.Exec.Command) != 3 ||
			h.PreStop.Exec.Command[0] != "/bin/sh" || h.PreStop.Exec.Command[1] != "-c" {
			t.Fatalf("worker preStop: %+v, want /bin/sh -c 'exec hymbactl drain ...'", h)
		}
		m := drainScript.FindStringSubmatch(h.PreStop.Exec.Command[2])
		if m == nil || m[1] != want {
			t.Errorf("worker preStop %q, want hymbactl drain --addr %s", h.PreStop.Exec.Command[2], want)
		}
	} else if r.wc.Lifecycle != nil {
		t.Errorf("worker.drain.enabled false, but the worker has a lifecycle hook")
	}
	ic, ok := container(&r.worker.Spec.Template, "uncordon")
	if (r.value(t, "worker.drain.uncordonOnStart") == true) != ok {
		t.Fatalf("uncordon init container present: %v, worker.drain.uncordonOnStart: %v", ok, r.value(t, "worker.drain.uncordonOnStart"))
	}
	if ok {
		m := uncordonScript.FindStringSubmatch(strings.Join(ic.Command, " "))
		if m == nil || m[1] != want || ic.Image != r.wc.Image {
			t.Errorf("uncordon init container %q (image %s), want hymbactl uncordon --addr %s with the worker image", ic.Command, ic.Image, want)
		}
	}
}

// coordinatorGRPC returns the address hymbactl must dial: the coordinator Service's DNS
// name and the Service port that targets the coordinator's --grpc port.
func coordinatorGRPC(t *testing.T, r *rendering) string {
	t.Helper()
	svc, _ := object[*corev1.Service](r.m, "Service", fullname+"-coordinator")
	grpcPort := listenPort(t, "--grpc", args(t, r.cc)["--grpc"])
	for _, p := range svc.Spec.Ports {
		if namedPort(r.cc, p.TargetPort.String()) == grpcPort {
			if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(r.coord.Spec.Template.Labels)) {
				t.Fatal("the coordinator Service does not select the coordinator pods")
			}
			return fmt.Sprintf("%s%s:%d", svc.Name, svcSuffix, p.Port)
		}
	}
	t.Fatal("no coordinator Service port leads to the --grpc port")
	return ""
}

// checkShellScripts checks the syntax of every `/bin/sh -c SCRIPT` in the release with sh -n.
func checkShellScripts(t *testing.T, m *manifest) {
	for key, pt := range m.podTemplates() {
		for _, c := range append(append([]corev1.Container{}, pt.Spec.InitContainers...), pt.Spec.Containers...) {
			cmds := [][]string{append(append([]string{}, c.Command...), c.Args...)}
			if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Exec != nil {
				cmds = append(cmds, c.Lifecycle.PreStop.Exec.Command)
			}
			for _, cmd := range cmds {
				if len(cmd) == 3 && cmd[0] == "/bin/sh" && cmd[1] == "-c" {
					if out, err := exec.Command("sh", "-n", "-c", cmd[2]).CombinedOutput(); err != nil {
						t.Errorf("%s container %s: shell script does not parse: %v\n%s\n%s", key, c.Name, err, out, cmd[2])
					}
				}
			}
		}
	}
}
