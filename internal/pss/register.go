package pss

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/policy"
	"k8s.io/utils/ptr"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

// pssRule is what a rule file declares: the library check it stands for, the rule's
// metadata, and where the check reads, for field paths.
type pssRule struct {
	check policy.CheckID
	meta  rule.Meta
	where where
	// cel is the check in CEL, following the library's check at its latest version.
	cel *rule.CEL
}

// registered lists the rules of this package in registration order, and checkOf the
// library check of each rule ID; both are filled by init functions and never written after.
var (
	registered []*rule.Rule
	checkOf    = map[string]*libCheck{}
)

// register makes a Moat rule of one library check. frameworks.pss is the check's
// LEVEL/ID exactly as the library names them; kinds are every workload kind.
func register(d pssRule) {
	lc, ok := library[d.check]
	if !ok {
		panic(fmt.Sprintf("pss: rule %s names check %q, which policy.DefaultChecks() does not have", d.meta.ID, d.check))
	}
	m := d.meta
	m.Frameworks.PSS = string(lc.level) + "/" + string(lc.id)
	m.Kinds = podspec.Kinds
	w := d.where
	if w.containers {
		w.containerPaths = podspec.NewField(w.container)
	}
	if w.volumes {
		w.volumePaths = podspec.NewField(w.volume)
	}
	r := &rule.Rule{
		Meta: m,
		CEL:  d.cel,
		Object: func(c *rule.Context, o *inventory.Object) []rule.Result {
			pod, ok := podspec.Of(o)
			if !ok {
				return nil
			}
			version := ""
			if c != nil {
				version = c.PSSVersion
			}
			v := lc.at(version)
			if v.check == nil {
				return nil // the check is not part of this policy version
			}
			if w.volumes {
				pod = defaultVolumes(pod)
			}
			return v.locate(pod, w)
		},
	}
	rule.Register(r)
	registered = append(registered, r)
	checkOf[r.ID] = lc
}

// defaultVolumes returns the pod as the API server hands it to admission as far as
// volumes go: a volume written with no source becomes an emptyDir, as
// SetDefaults_Volume of k8s.io/kubernetes/pkg/apis/core/v1 does. Without it
// `- name: cache` would be a volume of unknown type to restrictedVolumes, which admission
// never sees. The object itself is not changed.
func defaultVolumes(pod podspec.Pod) podspec.Pod {
	for i := range pod.Spec.Volumes {
		if !ptr.AllPtrFieldsNil(&pod.Spec.Volumes[i].VolumeSource) {
			continue
		}
		spec := *pod.Spec
		spec.Volumes = slices.Clone(pod.Spec.Volumes)
		for j := i; j < len(spec.Volumes); j++ {
			if ptr.AllPtrFieldsNil(&spec.Volumes[j].VolumeSource) {
				spec.Volumes[j].VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
			}
		}
		pod.Spec = &spec
		return pod
	}
	return pod
}
