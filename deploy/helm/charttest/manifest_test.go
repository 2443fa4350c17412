package charttest

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"helm.sh/helm/v3/pkg/releaseutil"
)

// manifest is a rendered release: its objects by "Kind/name", decoded strictly.
type manifest struct {
	objs     map[string]runtime.Object
	sources  map[string]string // "Kind/name" → template path
	monitors map[string]*serviceMonitor
	notes    string
}

var (
	strictDecoder = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	sourceLine    = regexp.MustCompile(`(?m)^# Source: (\S+)`)
)

// decodeManifest splits a release manifest into documents and decodes each one strictly.
func decodeManifest(text string) (*manifest, error) {
	m := &manifest{objs: map[string]runtime.Object{}, sources: map[string]string{}, monitors: map[string]*serviceMonitor{}}
	docs := releaseutil.SplitManifests(text)
	names := make([]string, 0, len(docs))
	for k := range docs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := m.add(docs[k]); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *manifest) add(doc string) error {
	src := "?"
	if s := sourceLine.FindStringSubmatch(doc); s != nil {
		src = s[1]
	}
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
		return fmt.Errorf("%s: %v", src, err)
	}
	if tm.Kind == "" && strings.TrimSpace(sourceLine.ReplaceAllString(doc, "")) == "" {
		return nil // a template that rendered nothing
	}
	if tm.APIVersion == monitoringV1 && tm.Kind == "ServiceMonitor" {
		sm, err := decodeServiceMonitor([]byte(doc))
		if err != nil {
			return fmt.Errorf("%s: %v", src, err)
		}
		return m.put("ServiceMonitor/"+sm.Name, src, nil, sm)
	}
	obj, _, err := strictDecoder.Decode([]byte(doc), nil, nil)
	if err != nil {
		return fmt.Errorf("%s: strict decode: %v", src, err)
	}
	acc, err := meta.Accessor(obj)
	if err != nil {
		return fmt.Errorf("%s: %v", src, err)
	}
	return m.put(tm.Kind+"/"+acc.GetName(), src, obj, nil)
}

func (m *manifest) put(key, src string, obj runtime.Object, sm *serviceMonitor) error {
	if old, dup := m.sources[key]; dup {
		return fmt.Errorf("%s and %s both render %s", old, src, key)
	}
	m.sources[key] = src
	if sm != nil {
		m.monitors[key] = sm
	} else {
		m.objs[key] = obj
	}
	return nil
}

// keys returns the object keys of a kind, sorted.
func (m *manifest) keys(kind string) []string {
	var ks []string
	for k := range m.sources {
		if strings.HasPrefix(k, kind+"/") {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return ks
}

// object returns the object kind/name as T, or false.
func object[T runtime.Object](m *manifest, kind, name string) (T, bool) {
	o, ok := m.objs[kind+"/"+name].(T)
	return o, ok
}

// podTemplates returns the pod template of every Deployment and StatefulSet, by "Kind/name".
func (m *manifest) podTemplates() map[string]*corev1.PodTemplateSpec {
	pts := map[string]*corev1.PodTemplateSpec{}
	for k, o := range m.objs {
		switch o := o.(type) {
		case *appsv1.Deployment:
			pts[k] = &o.Spec.Template
		case *appsv1.StatefulSet:
			pts[k] = &o.Spec.Template
		}
	}
	return pts
}

// container returns the named container of a pod template (init containers included).
func container(pt *corev1.PodTemplateSpec, name string) (*corev1.Container, bool) {
	for _, cs := range [][]corev1.Container{pt.Spec.Containers, pt.Spec.InitContainers} {
		for i := range cs {
			if cs[i].Name == name {
				return &cs[i], true
			}
		}
	}
	return nil, false
}
