package charttest

import (
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// TestRenderedObjects renders every value set and checks each object's names and labels and
// every reference between objects (selectors, ports, volumes, scale targets).
func TestRenderedObjects(t *testing.T) {
	for _, vs := range valueSets(t) {
		t.Run(vs.name, func(t *testing.T) {
			m := render(t, vs)
			var errs []error
			errs = append(errs, checkMeta(m)...)
			errs = append(errs, checkWorkloads(m)...)
			errs = append(errs, checkServices(m)...)
			errs = append(errs, checkPolicies(m)...)
			for _, err := range errs {
				t.Error(err)
			}
		})
	}
}

var requiredLabels = []string{"app.kubernetes.io/name", "app.kubernetes.io/instance",
	"app.kubernetes.io/component", "app.kubernetes.io/managed-by", "helm.sh/chart"}

// checkMeta checks object names (DNS rules of their kind) and labels.
func checkMeta(m *manifest) []error {
	var errs []error
	for key, obj := range m.objs {
		acc, _ := meta.Accessor(obj)
		kind, name, _ := strings.Cut(key, "/")
		bad := validation.IsDNS1123Subdomain(name)
		switch kind {
		case "Service":
			bad = validation.IsDNS1035Label(name)
		case "StatefulSet":
			bad = validation.IsDNS1123Label(name + "-999") // pod names are also hostnames
		}
		for _, b := range bad {
			errs = append(errs, fmt.Errorf("%s: name: %s", key, b))
		}
		errs = append(errs, checkLabels(key, acc.GetLabels(), requiredLabels)...)
	}
	for key, sm := range m.monitors {
		errs = append(errs, checkLabels(key, sm.Labels, requiredLabels)...)
	}
	return errs
}

func checkLabels(key string, ls map[string]string, required []string) []error {
	var errs []error
	for k, v := range ls {
		for _, b := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
			errs = append(errs, fmt.Errorf("%s: label %s=%q: %s", key, k, v, b))
		}
	}
	for _, k := range required {
		if ls[k] == "" {
			errs = append(errs, fmt.Errorf("%s: no %s label", key, k))
		}
	}
	return errs
}

// checkWorkloads checks every Deployment and StatefulSet: selector, containers, volumes.
func checkWorkloads(m *manifest) []error {
	var errs []error
	for key, pt := range m.podTemplates() {
		sel := selectorOf(m.objs[key])
		if sel == nil || !sel.Matches(labels.Set(pt.Labels)) {
			errs = append(errs, fmt.Errorf("%s: selector %v does not match its pod labels %v", key, sel, pt.Labels))
		}
		errs = append(errs, checkPod(key, m.objs[key], pt)...)
	}
	for _, key := range m.keys("StatefulSet") {
		ss := m.objs[key].(*appsv1.StatefulSet)
		if svc, ok := object[*corev1.Service](m, "Service", ss.Spec.ServiceName); !ok || svc.Spec.ClusterIP != corev1.ClusterIPNone {
			errs = append(errs, fmt.Errorf("%s: serviceName %q is not a headless Service of the release", key, ss.Spec.ServiceName))
		}
	}
	return errs
}

func selectorOf(obj any) labels.Selector {
	var ls *metav1.LabelSelector
	switch o := obj.(type) {
	case *appsv1.Deployment:
		ls = o.Spec.Selector
	case *appsv1.StatefulSet:
		ls = o.Spec.Selector
	}
	if ls == nil || len(ls.MatchLabels)+len(ls.MatchExpressions) == 0 {
		return nil // an empty selector selects every pod: never meant here
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return nil
	}
	return sel
}

// checkPod checks that every container asks for CPU and memory, runs without privileges,
// names valid ports, probes named ports it has, and mounts volumes that exist.
func checkPod(key string, obj any, pt *corev1.PodTemplateSpec) []error {
	var errs []error
	if sc := pt.Spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		errs = append(errs, fmt.Errorf("%s: pod does not set runAsNonRoot", key))
	}
	vols := map[string]bool{}
	for _, v := range pt.Spec.Volumes {
		vols[v.Name] = true
	}
	if ss, ok := obj.(*appsv1.StatefulSet); ok {
		for _, c := range ss.Spec.VolumeClaimTemplates {
			vols[c.Name] = true
		}
	}
	for _, c := range append(append([]corev1.Container{}, pt.Spec.InitContainers...), pt.Spec.Containers...) {
		errs = append(errs, checkContainer(key+" container "+c.Name, &c, vols)...)
	}
	return errs
}

func checkContainer(where string, c *corev1.Container, vols map[string]bool) []error {
	var errs []error
	req := c.Resources.Requests
	if req.Cpu().IsZero() || req.Memory().IsZero() {
		errs = append(errs, fmt.Errorf("%s: no CPU and memory requests", where))
	}
	if sc := c.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		errs = append(errs, fmt.Errorf("%s: allowPrivilegeEscalation is not false", where))
	}
	ports := map[string]bool{}
	for _, p := range c.Ports {
		ports[p.Name] = true
		for _, b := range validation.IsValidPortName(p.Name) {
			errs = append(errs, fmt.Errorf("%s: port name %q: %s", where, p.Name, b))
		}
	}
	for name, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p != nil && p.HTTPGet != nil && !ports[p.HTTPGet.Port.String()] {
			errs = append(errs, fmt.Errorf("%s: %s probe port %q is not a named port of the container", where, name, p.HTTPGet.Port.String()))
		}
	}
	for _, vm := range c.VolumeMounts {
		if !vols[vm.Name] {
			errs = append(errs, fmt.Errorf("%s: mounts volume %q, which the pod does not have", where, vm.Name))
		}
	}
	return errs
}

// checkServices checks that every Service selects the pods of one workload and that its
// target ports are named ports of that workload's containers.
func checkServices(m *manifest) []error {
	var errs []error
	pts := m.podTemplates()
	for _, key := range m.keys("Service") {
		svc := m.objs[key].(*corev1.Service)
		pt := selectedPods(pts, svc.Spec.Selector)
		if pt == nil {
			errs = append(errs, fmt.Errorf("%s: selector %v matches no workload of the release", key, svc.Spec.Selector))
			continue
		}
		for _, p := range svc.Spec.Ports {
			if !hasPort(pt, p.TargetPort.String()) {
				errs = append(errs, fmt.Errorf("%s: port %s targets %q, which the selected pods do not expose", key, p.Name, p.TargetPort.String()))
			}
		}
	}
	return errs
}

// selectedPods returns the one pod template sel selects, or nil.
func selectedPods(pts map[string]*corev1.PodTemplateSpec, sel map[string]string) *corev1.PodTemplateSpec {
	var found *corev1.PodTemplateSpec
	for _, pt := range pts {
		if len(sel) > 0 && labels.SelectorFromSet(sel).Matches(labels.Set(pt.Labels)) {
			if found != nil {
				return nil
			}
			found = pt
		}
	}
	return found
}

func hasPort(pt *corev1.PodTemplateSpec, nameOrNumber string) bool {
	for _, c := range pt.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == nameOrNumber || fmt.Sprint(p.ContainerPort) == nameOrNumber {
				return true
			}
		}
	}
	return false
}

// checkPolicies checks the PodDisruptionBudget's selector and the HPA's target.
func checkPolicies(m *manifest) []error {
	var errs []error
	pts := m.podTemplates()
	for _, key := range m.keys("PodDisruptionBudget") {
		pdb := m.objs[key].(*policyv1.PodDisruptionBudget)
		if selectedPods(pts, pdb.Spec.Selector.MatchLabels) == nil {
			errs = append(errs, fmt.Errorf("%s: selector matches no workload", key))
		}
	}
	for _, key := range m.keys("HorizontalPodAutoscaler") {
		ref := m.objs[key].(*autoscalingv2.HorizontalPodAutoscaler).Spec.ScaleTargetRef
		ss, ok := object[*appsv1.StatefulSet](m, ref.Kind, ref.Name)
		if !ok || ref.APIVersion != "apps/v1" {
			errs = append(errs, fmt.Errorf("%s: scale target %s %s/%s is not in the release", key, ref.APIVersion, ref.Kind, ref.Name))
		} else if ss.Spec.Replicas != nil {
			errs = append(errs, fmt.Errorf("%s: %s sets replicas, which fights the autoscaler on every upgrade", key, ref.Name))
		}
	}
	return errs
}
