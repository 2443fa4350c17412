package charttest

import (
	"fmt"
	"regexp"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

const monitoringV1 = "monitoring.coreos.com/v1"

// serviceMonitor holds the fields of the Prometheus Operator's monitoring.coreos.com/v1
// ServiceMonitor (github.com/prometheus-operator/prometheus-operator,
// pkg/apis/monitoring/v1/servicemonitor_types.go) that the chart renders. Decoding is strict,
// so a misspelt or unexpected field fails; a field the chart starts to use must be added here
// with the upstream name and type.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		JobLabel          string `json:"jobLabel,omitempty"`
		NamespaceSelector struct {
			Any        bool     `json:"any,omitempty"`
			MatchNames []string `json:"matchNames,omitempty"`
		} `json:"namespaceSelector"`
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []monitorEndpoint    `json:"endpoints"`
	} `json:"spec"`
}

type monitorEndpoint struct {
	Port          string            `json:"port,omitempty"`
	Path          string            `json:"path,omitempty"`
	Scheme        string            `json:"scheme,omitempty"`
	Interval      string            `json:"interval,omitempty"`
	ScrapeTimeout string            `json:"scrapeTimeout,omitempty"`
	TLSConfig     *monitorTLSConfig `json:"tlsConfig,omitempty"`
}

// monitorTLSConfig is the operator's TLSConfig (SafeTLSConfig and the file fields).
type monitorTLSConfig struct {
	CA                 *secretOrConfigMap           `json:"ca,omitempty"`
	Cert               *secretOrConfigMap           `json:"cert,omitempty"`
	KeySecret          *corev1.SecretKeySelector    `json:"keySecret,omitempty"`
	ServerName         string                       `json:"serverName,omitempty"`
	InsecureSkipVerify *bool                        `json:"insecureSkipVerify,omitempty"`
	CAFile             string                       `json:"caFile,omitempty"`
	CertFile           string                       `json:"certFile,omitempty"`
	KeyFile            string                       `json:"keyFile,omitempty"`
	ConfigMap          *corev1.ConfigMapKeySelector `json:"configMap,omitempty"`
}

type secretOrConfigMap struct {
	Secret    *corev1.SecretKeySelector    `json:"secret,omitempty"`
	ConfigMap *corev1.ConfigMapKeySelector `json:"configMap,omitempty"`
}

// promDuration is the Prometheus Operator's Duration pattern.
var promDuration = regexp.MustCompile(`^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`)

func decodeServiceMonitor(doc []byte) (*serviceMonitor, error) {
	var sm serviceMonitor
	if err := yaml.UnmarshalStrict(doc, &sm); err != nil {
		return nil, fmt.Errorf("strict decode ServiceMonitor: %v", err)
	}
	if len(sm.Spec.Endpoints) == 0 {
		return nil, fmt.Errorf("ServiceMonitor %s: no endpoints", sm.Name)
	}
	for i, ep := range sm.Spec.Endpoints {
		for field, d := range map[string]string{"interval": ep.Interval, "scrapeTimeout": ep.ScrapeTimeout} {
			if d != "" && !promDuration.MatchString(d) {
				return nil, fmt.Errorf("ServiceMonitor %s: endpoints[%d].%s %q is not a Prometheus duration", sm.Name, i, field, d)
			}
		}
	}
	return &sm, nil
}

// checkServiceMonitor checks that the ServiceMonitor exists exactly when enabled, selects the
// coordinator Service and scrapes /metrics on a port that Service has.
func checkServiceMonitor(t *testing.T, r *rendering) {
	enabled := r.value(t, "metrics.serviceMonitor.enabled") == true
	if len(r.m.monitors) != map[bool]int{true: 1, false: 0}[enabled] {
		t.Fatalf("metrics.serviceMonitor.enabled %v, but %d ServiceMonitors", enabled, len(r.m.monitors))
	}
	svc, _ := object[*corev1.Service](r.m, "Service", fullname+"-coordinator")
	for key, sm := range r.m.monitors {
		sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(svc.Labels)) {
			t.Errorf("%s: selector %v does not select the coordinator Service", key, sm.Spec.Selector)
		}
		if ns := sm.Spec.NamespaceSelector.MatchNames; len(ns) != 1 || ns[0] != namespace {
			t.Errorf("%s: namespaceSelector %v, want [%s]", key, ns, namespace)
		}
		for _, ep := range sm.Spec.Endpoints {
			if ep.Path != "/metrics" || !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port && p.Name == "http" }) {
				t.Errorf("%s: endpoint %+v, want /metrics on the coordinator Service's http port", key, ep)
			}
		}
	}
}
