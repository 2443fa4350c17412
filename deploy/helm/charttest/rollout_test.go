package charttest

import (
	"testing"

	policyv1 "k8s.io/api/policy/v1"
)

// checkCoordinatorRollout checks what an all-Ready coordinator Deployment allows: a rolling
// update that waits for each new pod to be Ready before it stops an old one (maxUnavailable
// 0, a surge of at least one), and a PodDisruptionBudget, when enabled, that selects the
// coordinator pods and leaves at least one of them evictable.
func checkCoordinatorRollout(t *testing.T, r *rendering) {
	t.Helper()
	ru := r.coord.Spec.Strategy.RollingUpdate
	if r.coord.Spec.Strategy.Type != "RollingUpdate" || ru == nil || ru.MaxUnavailable.String() != "0" ||
		ru.MaxSurge.String() == "0" || ru.MaxSurge.String() == "0%" {
		t.Errorf("coordinator strategy %+v, want RollingUpdate with maxUnavailable 0 and a surge", r.coord.Spec.Strategy)
	}
	pdb, ok := object[*policyv1.PodDisruptionBudget](r.m, "PodDisruptionBudget", fullname+"-coordinator")
	if enabled := r.value(t, "coordinator.pdb.enabled") == true; enabled != ok {
		t.Fatalf("coordinator.pdb.enabled is %v, but the coordinator PodDisruptionBudget is rendered: %v", enabled, ok)
	}
	if !ok {
		return
	}
	if pt := selectedPods(r.m.podTemplates(), pdb.Spec.Selector.MatchLabels); pt != &r.coord.Spec.Template {
		t.Errorf("coordinator PodDisruptionBudget selector %v: want the coordinator pods alone", pdb.Spec.Selector.MatchLabels)
	}
	replicas := int(*r.coord.Spec.Replicas)
	if m := pdb.Spec.MinAvailable; m == nil || pdb.Spec.MaxUnavailable != nil || (m.Type == 0 && int(m.IntVal) >= replicas) {
		t.Errorf("coordinator PodDisruptionBudget minAvailable %v, maxUnavailable %v with %d replicas: want minAvailable below the replicas",
			m, pdb.Spec.MaxUnavailable, replicas)
	}
}
