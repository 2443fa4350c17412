package charttest

import (
	"path"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// checkModel checks the --model flags against model.source, model.dir and
// model.mountOnWorkers, and the volume each one reads from.
func checkModel(t *testing.T, r *rendering) {
	source := r.value(t, "model.source").(string)
	want := path.Join("/models", r.value(t, "model.dir").(string))
	cf, wf := args(t, r.cc), args(t, r.wc)
	if source == "demo" {
		if _, ok := cf["--model"]; ok {
			t.Errorf("demo model, but the coordinator has --model=%s", cf["--model"])
		}
	} else {
		checkModelMount(t, r.cc, &r.coord.Spec.Template.Spec, cf["--model"], want, source)
	}
	if r.value(t, "model.mountOnWorkers") == true {
		checkModelMount(t, r.wc, &r.worker.Spec.Template.Spec, wf["--model"], want, source)
	} else if _, ok := wf["--model"]; ok {
		t.Errorf("workers fetch from the Object Store, but have --model=%s", wf["--model"])
	}
	if source == "download" {
		if _, ok := container(&r.coord.Spec.Template, "download-model"); !ok {
			t.Error("model.source download, but no download-model init container")
		}
	}
}

func checkModelMount(t *testing.T, c *corev1.Container, pod *corev1.PodSpec, flag, want, source string) {
	t.Helper()
	if flag != want {
		t.Errorf("%s --model=%q, want %q", c.Name, flag, want)
	}
	var mounted bool
	for _, vm := range c.VolumeMounts {
		mounted = mounted || (vm.Name == "model" && vm.MountPath == "/models" && vm.ReadOnly)
	}
	var vol *corev1.Volume
	for i := range pod.Volumes {
		if pod.Volumes[i].Name == "model" {
			vol = &pod.Volumes[i]
		}
	}
	ok := vol != nil && map[string]bool{
		"pvc":      vol.PersistentVolumeClaim != nil,
		"hostPath": vol.HostPath != nil,
		"download": vol.EmptyDir != nil,
	}[source]
	if !mounted || !ok {
		t.Errorf("%s: model volume %+v mounted read-only at /models: %v; want a %s volume", c.Name, vol, mounted, source)
	}
}
