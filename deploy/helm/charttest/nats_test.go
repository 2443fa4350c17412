package charttest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	natsserver "github.com/nats-io/nats-server/v2/server"
)

// checkNATSURL checks --nats of the coordinator and the workers: the chart's NATS client
// Service (port leading to the servers' client port), or nats.url.
func checkNATSURL(t *testing.T, r *rendering) {
	want := r.value(t, "nats.url")
	if r.value(t, "nats.enabled") == true {
		svc, ok := object[*corev1.Service](r.m, "Service", fullname+"-nats")
		if !ok || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "client" {
			t.Fatalf("nats.enabled, but no NATS client Service with one port targeting \"client\"")
		}
		want = fmt.Sprintf("nats://%s%s:%d", svc.Name, svcSuffix, svc.Spec.Ports[0].Port)
	}
	for _, c := range []*corev1.Container{r.cc, r.wc} {
		if got := args(t, c)["--nats"]; got != want {
			t.Errorf("%s --nats=%s, want %v", c.Name, got, want)
		}
	}
}

// TestNATSServers parses the rendered nats.conf with nats-server's own parser (pedantic
// checks on) for a single server and for a cluster, checks it against the StatefulSet (ports,
// routes to every server through the headless Service, store and pid file on volumes), then
// runs a real server from it and fetches every probe path.
func TestNATSServers(t *testing.T) {
	for _, vs := range []valueSet{{name: "default"}, {name: "small", file: "small.yaml"}} {
		t.Run(vs.name, func(t *testing.T) {
			r := renderRelease(t, vs)
			ss, ok := object[*appsv1.StatefulSet](r.m, "StatefulSet", fullname+"-nats")
			if !ok {
				t.Fatal("no NATS StatefulSet")
			}
			c, _ := container(&ss.Spec.Template, "nats")
			opts := parseNATSConfig(t, r.m, ss.Name+"-0")
			checkNATSOptions(t, ss, c, opts)
			runNATS(t, c, opts)
		})
	}
}

func parseNATSConfig(t *testing.T, m *manifest, pod string) *natsserver.Options {
	t.Helper()
	cm, ok := object[*corev1.ConfigMap](m, "ConfigMap", fullname+"-nats")
	if !ok || cm.Data["nats.conf"] == "" {
		t.Fatal("no NATS ConfigMap with nats.conf")
	}
	path := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(path, []byte(cm.Data["nats.conf"]), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("POD_NAME", pod)
	opts := &natsserver.Options{CheckConfig: true}
	if err := opts.ProcessConfigFile(path); err != nil {
		t.Fatalf("nats.conf does not parse: %v\n%s", err, cm.Data["nats.conf"])
	}
	return opts
}

func checkNATSOptions(t *testing.T, ss *appsv1.StatefulSet, c *corev1.Container, o *natsserver.Options) {
	n := int(*ss.Spec.Replicas)
	if o.ServerName != ss.Name+"-0" || !o.JetStream || o.Port != int(namedPort(c, "client")) || o.HTTPPort != int(namedPort(c, "monitor")) {
		t.Errorf("nats.conf: server %q, jetstream %v, port %d, monitor %d; container ports %+v", o.ServerName, o.JetStream, o.Port, o.HTTPPort, c.Ports)
	}
	if !underMount(c, "data", o.StoreDir+"/x") || !underMount(c, "pid", o.PidFile) {
		t.Errorf("nats.conf: store_dir %s and pid_file %s must be on the data and pid volumes", o.StoreDir, o.PidFile)
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || strings.Join(c.Lifecycle.PreStop.Exec.Command, " ") != "nats-server --signal ldm="+o.PidFile {
		t.Errorf("NATS preStop must signal lame duck mode through %s", o.PidFile)
	}
	if n == 1 {
		if len(o.Routes) != 0 || o.Cluster.Port != 0 {
			t.Errorf("one server, but cluster routes %v", o.Routes)
		}
		return
	}
	if o.Cluster.Port != int(namedPort(c, "cluster")) || len(o.Routes) != n {
		t.Errorf("cluster port %d (container %d), %d routes for %d servers", o.Cluster.Port, namedPort(c, "cluster"), len(o.Routes), n)
	}
	for i, u := range o.Routes {
		if want := fmt.Sprintf("%s-%d.%s%s", ss.Name, i, ss.Spec.ServiceName, svcSuffix); u.Hostname() != want || u.Port() != fmt.Sprint(o.Cluster.Port) {
			t.Errorf("route %d: %s, want %s:%d", i, u, want, o.Cluster.Port)
		}
	}
}

// runNATS starts a server from the parsed options, on loopback and without cluster routes,
// and checks that it serves the container's probe paths.
func runNATS(t *testing.T, c *corev1.Container, o *natsserver.Options) {
	dir := t.TempDir()
	o.Host, o.Port, o.HTTPHost, o.HTTPPort = "127.0.0.1", natsserver.RANDOM_PORT, "127.0.0.1", natsserver.RANDOM_PORT
	o.Cluster, o.Routes, o.RoutesStr = natsserver.ClusterOpts{}, nil, ""
	o.StoreDir, o.PidFile, o.NoLog, o.NoSigs, o.CheckConfig = filepath.Join(dir, "js"), filepath.Join(dir, "nats.pid"), true, true, false
	srv, err := natsserver.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	if !srv.ReadyForConnections(10e9) {
		t.Fatal("NATS server from the rendered config did not start")
	}
	checkProbesServed(t, c, "http://"+srv.MonitorAddr().String())
}
