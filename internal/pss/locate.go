package pss

import (
	"reflect"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/policy"

	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

// where says which fields of a pod a check reads, so that a failure can be given a
// field path. It decides nothing: every verdict comes from the library's CheckPod.
type where struct {
	// containers is set when the check reads container fields; container is the field
	// below each container ("securityContext.privileged"), "" for the container itself.
	containers bool
	container  string
	// volumes is set when the check reads volumes; volume is the field below each
	// volume ("hostPath"), "" for the volume itself.
	volumes bool
	volume  string
	// pod are the pod-level fields the check reads, relative to the pod template:
	// "spec.hostNetwork", "spec.securityContext.sysctls", "metadata.annotations".
	pod []string

	// containerPaths and volumePaths are the paths of container and volume, made once
	// by register so that findings share them; nil: each is joined when reported.
	containerPaths, volumePaths *podspec.Field
}

// annotations is the pod-level field of checks that read annotations.
const annotations = "metadata.annotations"

// locate finds where a pod fails a check. The verdict is the library's; the place is
// found by running the same CheckPod on copies of the pod that hold one part at a time:
//
//   - the pod without containers or volumes: a failure there is a pod-level cause, and
//     when the check reads several pod-level fields, each is tried alone;
//   - the pod-level fields with one container (init, regular or ephemeral) at a time;
//   - the pod-level fields with one volume at a time.
//
// A part whose own result is the pod-level result adds nothing and is skipped. When no
// part fails alone, the whole pod's result is given at the pod spec's path.
//
// A restricted check that replaces baseline checks (OverrideCheckIDs) stays silent on a
// part where a replaced check gives the very same result: the baseline rule reports it.
func (v resolved) locate(pod podspec.Pod, w where) []rule.Result {
	full := v.check(pod.Meta, pod.Spec)
	if full.Allowed {
		return nil
	}
	var (
		out   []rule.Result
		found bool
	)
	// bare is the pod spec without containers and volumes; each part is tried by
	// setting one list of it to one element and clearing it again. It comes from a
	// pool: a PodSpec is over a kilobyte, and the checks do not keep it.
	bare := specPool.Get().(*corev1.PodSpec)
	defer func() {
		*bare = corev1.PodSpec{}
		specPool.Put(bare)
	}()
	*bare = *pod.Spec
	bare.InitContainers, bare.Containers, bare.EphemeralContainers, bare.Volumes = nil, nil, nil, nil
	podOnly := v.check(pod.Meta, bare)
	if !podOnly.Allowed {
		found = true
		if !v.covered(pod.Meta, bare, podOnly) {
			out = append(out, v.podLevel(pod, bare, podOnly, w.pod)...)
		}
	}
	// part reports the one container or volume in bare (list[i] of the pod) when it
	// fails alone. Its field path is only made then.
	part := func(list string, i int, paths *podspec.Field, field string) {
		r := v.check(pod.Meta, bare)
		if r.Allowed || same(r, podOnly) {
			return
		}
		found = true
		if v.covered(pod.Meta, bare, r) {
			return
		}
		path := partPathOf(paths, pod, list, i, field)
		if readsAnnotations(w) && len(pod.Meta.Annotations) > 0 {
			// An annotation naming this container (seccomp before v1.19) is the cause
			// when the part passes without annotations.
			m := *pod.Meta
			m.Annotations = nil
			if v.check(&m, bare).Allowed {
				path = fieldPath(pod, annotations)
			}
		}
		out = append(out, result(path, r))
	}
	if w.containers {
		// In the order of podspec.Pod.Containers: init, regular, ephemeral.
		for i := range pod.Spec.InitContainers {
			bare.InitContainers = pod.Spec.InitContainers[i : i+1]
			part("initContainers", i, w.containerPaths, w.container)
		}
		bare.InitContainers = nil
		for i := range pod.Spec.Containers {
			bare.Containers = pod.Spec.Containers[i : i+1]
			part("containers", i, w.containerPaths, w.container)
		}
		bare.Containers = nil
		for i := range pod.Spec.EphemeralContainers {
			bare.EphemeralContainers = pod.Spec.EphemeralContainers[i : i+1]
			part("ephemeralContainers", i, w.containerPaths, w.container)
		}
		bare.EphemeralContainers = nil
	}
	if w.volumes {
		for i := range pod.Spec.Volumes {
			bare.Volumes = pod.Spec.Volumes[i : i+1]
			part("volumes", i, w.volumePaths, w.volume)
		}
		bare.Volumes = nil
	}
	if !found && !v.covered(pod.Meta, pod.Spec, full) {
		out = append(out, result(pod.Path, full))
	}
	return out
}

// specPool holds the scratch pod specs of locate.
var specPool = sync.Pool{New: func() any { return new(corev1.PodSpec) }}

// partPathOf is podspec.PartPath from the paths made in advance, when there are some.
func partPathOf(paths *podspec.Field, pod podspec.Pod, list string, i int, field string) string {
	if paths != nil {
		return paths.Part(pod, list, i)
	}
	return podspec.PartPath(pod.Path, list, i, field)
}

// podLevel places a failure of the pod-level fields. With several candidate fields set,
// each is tried alone (the others removed), so that hostNetwork and hostPID give one
// result each at their own line.
func (v resolved) podLevel(pod podspec.Pod, bare *corev1.PodSpec, podOnly policy.CheckResult, fields []string) []rule.Result {
	switch len(fields) {
	case 0:
		return []rule.Result{result(pod.Path, podOnly)}
	case 1:
		return []rule.Result{result(fieldPath(pod, fields[0]), podOnly)}
	}
	whole := corev1.Pod{ObjectMeta: *pod.Meta, Spec: *bare}
	var set []string
	for _, f := range fields {
		if fieldSet(reflect.ValueOf(&whole).Elem(), f) {
			set = append(set, f)
		}
	}
	if len(set) == 1 {
		return []rule.Result{result(fieldPath(pod, set[0]), podOnly)}
	}
	var out []rule.Result
	for _, f := range set {
		alone := whole
		for _, other := range set {
			if other != f {
				clearField(reflect.ValueOf(&alone).Elem(), other)
			}
		}
		if r := v.check(&alone.ObjectMeta, &alone.Spec); !r.Allowed && !v.covered(&alone.ObjectMeta, &alone.Spec, r) {
			out = append(out, result(fieldPath(pod, f), r))
		}
	}
	if len(out) == 0 {
		// No field fails alone: give the pod-level result once, where the spec starts.
		out = append(out, result(pod.Path, podOnly))
	}
	return out
}

// covered tells whether a baseline check that this check replaces forbids the same
// pod with the same words, so that the baseline rule's finding already says it.
func (v resolved) covered(meta *metav1.ObjectMeta, spec *corev1.PodSpec, r policy.CheckResult) bool {
	for _, base := range v.overridden {
		if same(base(meta, spec), r) {
			return true
		}
	}
	return false
}

func same(a, b policy.CheckResult) bool {
	return a.Allowed == b.Allowed && a.ForbiddenReason == b.ForbiddenReason && a.ForbiddenDetail == b.ForbiddenDetail
}

func readsAnnotations(w where) bool {
	for _, f := range w.pod {
		if f == annotations {
			return true
		}
	}
	return false
}

// fieldPath turns a pod-relative field ("spec.hostPID", "metadata.annotations") into
// the object's field path ("spec.template.spec.hostPID").
func fieldPath(pod podspec.Pod, f string) string {
	if rest, ok := strings.CutPrefix(f, "metadata"); ok {
		return pod.MetaPath() + rest
	}
	return pod.Path + strings.TrimPrefix(f, "spec")
}

// result words a library result as the library does when it reviews one pod:
// `privileged (container "app" must not set securityContext.privileged=true)`.
func result(path string, r policy.CheckResult) rule.Result {
	return rule.Result{Path: path, Message: forbiddenDetail(r)}
}

// forbiddenDetail is policy.AggregateCheckResults([]policy.CheckResult{r}).ForbiddenDetail(),
// written out for one result: it is called for every part that fails, and the
// aggregate's slices and builder cost more than the words.
func forbiddenDetail(r policy.CheckResult) string {
	if r.Allowed {
		return ""
	}
	reason := r.ForbiddenReason
	if reason == "" {
		reason = policy.UnknownForbiddenReason
	}
	if r.ForbiddenDetail == "" {
		return reason
	}
	return reason + " (" + r.ForbiddenDetail + ")"
}
