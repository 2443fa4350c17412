package charttest

import (
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// security are the security values of a rendering.
type security struct {
	keysSecret, keysKey        string
	opsKey                     string // the hooks' key inside keysSecret ("": keysKey)
	serverSecret, cliSecret    string // "" unless security.tls.enabled
	etcdExternal, natsExternal bool
}

func securityOf(t *testing.T, r *rendering) security {
	s := security{keysSecret: r.value(t, "security.apiKeys.existingSecret").(string), keysKey: r.value(t, "security.apiKeys.key").(string),
		opsKey:       r.value(t, "security.apiKeys.opsKey").(string),
		etcdExternal: r.value(t, "etcd.enabled") != true, natsExternal: r.value(t, "nats.enabled") != true}
	if s.opsKey == "" {
		s.opsKey = s.keysKey
	}
	if r.value(t, "security.tls.enabled") == true {
		s.serverSecret, s.cliSecret = r.value(t, "security.tls.serverSecret").(string), r.value(t, "security.tls.clientSecret").(string)
	}
	return s
}

// secretFile is a file a flag names: the Secret and key it must come from.
type secretFile struct{ secret, key string }

// checkSecurity checks that the security flags are rendered exactly when their Secrets are
// set and that every file they name is mounted, from the right Secret and key, into the
// container that reads it: the coordinator (API keys, server TLS, client TLS), the worker
// (client TLS) and the worker hooks (an API key and the server CA for hymbactl). With server
// TLS the coordinator probes and the ServiceMonitor use HTTPS.
func checkSecurity(t *testing.T, r *rendering) {
	s := securityOf(t, r)
	coord := map[string]secretFile{}
	if s.keysSecret != "" {
		coord["--api-keys-file"] = secretFile{s.keysSecret, s.keysKey}
	}
	if s.serverSecret != "" {
		coord["--tls-cert"], coord["--tls-key"] = secretFile{s.serverSecret, "tls.crt"}, secretFile{s.serverSecret, "tls.key"}
		coord["--leader-tls-ca"] = secretFile{s.serverSecret, "ca.crt"} // standbys verify the leader with it
	}
	client := map[string]secretFile{}
	for svc, external := range map[string]bool{"etcd": s.etcdExternal, "nats": s.natsExternal} {
		if s.cliSecret != "" && external {
			for flag, key := range map[string]string{"-ca": "ca.crt", "-cert": "tls.crt", "-key": "tls.key"} {
				client["--"+svc+flag] = secretFile{s.cliSecret, key}
			}
		}
	}
	for k, v := range client {
		coord[k] = v
	}
	checkSecretFlags(t, &r.coord.Spec.Template, r.cc, args(t, r.cc), coord)
	checkSecretFlags(t, &r.worker.Spec.Template, r.wc, args(t, r.wc), client)
	checkHookSecurity(t, r, s)
	wantScheme := map[bool]corev1.URIScheme{true: corev1.URISchemeHTTPS, false: corev1.URISchemeHTTP}[s.serverSecret != ""]
	for _, p := range []*corev1.Probe{r.cc.StartupProbe, r.cc.LivenessProbe, r.cc.ReadinessProbe} {
		if p.HTTPGet.Scheme != wantScheme {
			t.Errorf("coordinator probe %s: scheme %q, want %q", p.HTTPGet.Path, p.HTTPGet.Scheme, wantScheme)
		}
	}
	for key, sm := range r.m.monitors {
		ep := sm.Spec.Endpoints[0]
		tlsOK := ep.Scheme == "https" && ep.TLSConfig != nil && ep.TLSConfig.CA != nil && ep.TLSConfig.CA.Secret != nil &&
			ep.TLSConfig.CA.Secret.Name == s.serverSecret && ep.TLSConfig.ServerName == strings.Split(coordinatorGRPC(t, r), ":")[0]
		if (s.serverSecret != "") != tlsOK || (s.serverSecret == "" && (ep.Scheme != "" || ep.TLSConfig != nil)) {
			t.Errorf("%s: scheme %q tlsConfig %+v with server TLS Secret %q", key, ep.Scheme, ep.TLSConfig, s.serverSecret)
		}
	}
}

// checkHookSecurity checks the hymbactl flags of the drain and uncordon hooks and that their
// files are mounted in the containers that run them.
func checkHookSecurity(t *testing.T, r *rendering, s security) {
	want := map[string]secretFile{}
	if s.keysSecret != "" {
		want["--api-key-file"] = secretFile{s.keysSecret, s.opsKey}
	}
	if s.serverSecret != "" {
		want["--tls-ca"] = secretFile{s.serverSecret, "ca.crt"}
	}
	pt := &r.worker.Spec.Template
	if s.opsKey != s.keysKey { // the worker pods see the hooks' key only, never the client keys
		for _, v := range pt.Spec.Volumes {
			if v.Secret == nil || v.Secret.SecretName != s.keysSecret {
				continue
			}
			if len(v.Secret.Items) == 0 {
				t.Errorf("worker volume %s mounts every key of Secret %s", v.Name, s.keysSecret)
			}
			for _, it := range v.Secret.Items {
				if it.Key != s.opsKey {
					t.Errorf("worker volume %s mounts key %s of Secret %s, want only %s", v.Name, it.Key, s.keysSecret, s.opsKey)
				}
			}
		}
	}
	if h := r.wc.Lifecycle; h != nil && h.PreStop != nil && h.PreStop.Exec != nil {
		if m := drainScript.FindStringSubmatch(h.PreStop.Exec.Command[2]); m != nil {
			checkSecretFlags(t, pt, r.wc, hookFlags(m[2]), want)
		}
	}
	if ic, ok := container(pt, "uncordon"); ok {
		if m := uncordonScript.FindStringSubmatch(strings.Join(ic.Command, " ")); m != nil {
			checkSecretFlags(t, pt, ic, hookFlags(m[2]), want)
		}
	}
}

// hookFlags parses " --name value --name value".
func hookFlags(s string) map[string]string {
	f := map[string]string{}
	fields := strings.Fields(s)
	for i := 0; i+1 < len(fields); i += 2 {
		f[fields[i]] = fields[i+1]
	}
	return f
}

// checkSecretFlags checks that the container's flags under /etc/hymbaserve/ are exactly want,
// and that each names a file mounted from the wanted Secret and key.
func checkSecretFlags(t *testing.T, pt *corev1.PodTemplateSpec, c *corev1.Container, flags map[string]string, want map[string]secretFile) {
	t.Helper()
	for name, val := range flags {
		if _, ok := want[name]; !ok && strings.HasPrefix(val, "/etc/hymbaserve/") {
			t.Errorf("container %s: unexpected %s=%s", c.Name, name, val)
		}
	}
	for name, sf := range want {
		val, ok := flags[name]
		if !ok {
			t.Errorf("container %s: no %s (want the file %s of Secret %s)", c.Name, name, sf.key, sf.secret)
			continue
		}
		if got, ok := mountedSecretFile(pt, c, val); !ok || got != sf {
			t.Errorf("container %s: %s=%s is %+v (mounted %v), want key %s of Secret %s", c.Name, name, val, got, ok, sf.key, sf.secret)
		}
	}
}

// mountedSecretFile resolves a file path in a container to the Secret and key it is
// projected from.
func mountedSecretFile(pt *corev1.PodTemplateSpec, c *corev1.Container, file string) (secretFile, bool) {
	dir, base := path.Split(file)
	for _, vm := range c.VolumeMounts {
		if strings.TrimSuffix(dir, "/") != vm.MountPath || !vm.ReadOnly {
			continue
		}
		for _, v := range pt.Spec.Volumes {
			if v.Name != vm.Name || v.Secret == nil {
				continue
			}
			if len(v.Secret.Items) == 0 {
				return secretFile{v.Secret.SecretName, base}, true
			}
			for _, it := range v.Secret.Items {
				if it.Path == base {
					return secretFile{v.Secret.SecretName, it.Key}, true
				}
			}
		}
	}
	return secretFile{}, false
}

// checkFlagsKnown renders the example with every security option and checks that each flag
// of the coordinator and worker containers, and of the hymbactl hooks, is listed by the
// binary's -h.
func checkFlagsKnown(t *testing.T, bin string) {
	r := renderRelease(t, valueSet{name: "secure-monitored", file: "secure-monitored.yaml"})
	usage := func(args ...string) string {
		out, _ := exec.Command(filepath.Join(bin, args[0]), args[1:]...).CombinedOutput() // -h exits 0 or 2
		return string(out)
	}
	for cmd, c := range map[string]*corev1.Container{"coordinator": r.cc, "worker": r.wc} {
		text := usage(cmd, "-h")
		for name := range args(t, c) {
			if !listsFlag(text, name) {
				t.Errorf("the chart passes %s to %s, which does not list it:\n%s", name, cmd, text)
			}
		}
	}
	m := drainScript.FindStringSubmatch(r.wc.Lifecycle.PreStop.Exec.Command[2])
	if m == nil || m[2] == "" {
		t.Fatalf("drain hook without security flags: %q", r.wc.Lifecycle.PreStop.Exec.Command[2])
	}
	for _, sub := range []string{"drain", "uncordon"} {
		text := usage("hymbactl", sub, "-h")
		for name := range hookFlags(m[2]) {
			if !listsFlag(text, name) {
				t.Errorf("the hooks pass %s to hymbactl %s, which does not list it:\n%s", name, sub, text)
			}
		}
	}
}

// listsFlag reports whether a Go flag usage text lists --name ("  -name TYPE" or "  -name").
func listsFlag(usage, name string) bool {
	f := "\n  " + strings.TrimPrefix(name, "-")
	return strings.Contains(usage, f+" ") || strings.Contains(usage, f+"\n")
}
