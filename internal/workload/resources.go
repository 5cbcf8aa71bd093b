package workload

// The condition shared by the four resource rules (pod/cpu-requests-missing,
// pod/memory-requests-missing, pod/cpu-limits-missing, pod/memory-limits-missing):
// does a container end up with a request or limit for one resource once the API
// server has filled in its defaults?
//
// A container has a request for a resource when it writes one, when it writes a
// limit (the API defaults the request to the limit), when the pod sets pod-level
// resources for it (spec.resources, PodLevelResources), or when a LimitRange of type
// Container in the namespace gives a default. LimitRange defaulting works as the API
// server's: a written max becomes the default limit when none is written, and the
// default limit, or else the min, becomes the default request.
//
// Which containers count: regular containers always. Init containers run one at a
// time before the app, and the scheduler reserves the larger of the biggest init
// request and the sum of the app requests, so a missing request on an ordinary init
// container costs nothing; a sidecar (restartPolicy: Always) runs beside the app and
// adds its request, so it counts. Limits bound what a container can use while it runs,
// so every init container counts for limits. Ephemeral containers cannot set
// resources and are skipped.
//
// At admission the inventory holds only the object under review, so no LimitRange is
// seen; a Pod under review already carries the LimitRange defaults, because the
// LimitRanger admission plugin mutates it before validating webhooks run.

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

// resourceCheck is one of the four resource rules.
type resourceCheck struct {
	Resource corev1.ResourceName // cpu or memory
	Limit    bool                // limits rather than requests
}

func (rc resourceCheck) field() string {
	if rc.Limit {
		return "limits"
	}
	return "requests"
}

// noun is "CPU request", "memory limit".
func (rc resourceCheck) noun() string {
	name := string(rc.Resource)
	if rc.Resource == corev1.ResourceCPU {
		name = "CPU"
	}
	return name + " " + strings.TrimSuffix(rc.field(), "s")
}

// set reports a non-zero quantity for the resource; written is whether any is written.
func (rc resourceCheck) set(l corev1.ResourceList) (ok, written bool) {
	q, written := l[rc.Resource]
	return written && !q.IsZero(), written
}

// covers reports a resource requirement that gives the container a value.
func (rc resourceCheck) covers(r *corev1.ResourceRequirements) bool {
	if r == nil {
		return false
	}
	if ok, _ := rc.set(r.Limits); ok {
		return true
	}
	ok, _ := rc.set(r.Requests)
	return !rc.Limit && ok
}

// appliesTo says which containers the rule looks at (see the file comment).
func (rc resourceCheck) appliesTo(ct podspec.Container) bool {
	switch ct.Kind {
	case podspec.Regular:
		return true
	case podspec.Init:
		return rc.Limit || isSidecar(ct)
	}
	return false
}

func (rc resourceCheck) check(c *rule.Context, o *inventory.Object, p podspec.Pod) []rule.Result {
	if rc.covers(p.Spec.Resources) {
		return nil // pod-level resources bound every container
	}
	ns := o.EffectiveNamespace()
	if rc.limitRangeDefault(c.Inventory, ns) {
		return nil
	}
	var out []rule.Result
	for _, ct := range p.Containers() {
		if !rc.appliesTo(ct) || rc.covers(&ct.Resources) {
			continue
		}
		path := fmt.Sprintf("%s.resources.%s.%s", ct.Path, rc.field(), rc.Resource)
		var msg string
		if _, written := rc.set(ct.Resources.Limits); written && rc.Limit {
			msg = fmt.Sprintf("%s sets resources.limits.%s to 0, which is no limit", ct.Describe(), rc.Resource)
		} else if _, written := rc.set(ct.Resources.Requests); written && !rc.Limit {
			msg = fmt.Sprintf("%s sets resources.requests.%s to 0", ct.Describe(), rc.Resource)
		} else {
			msg = fmt.Sprintf("%s has no %s", ct.Describe(), rc.noun())
		}
		msg += fmt.Sprintf(", and no LimitRange in namespace %q gives a default", ns)
		out = append(out, rule.Result{Message: msg, Path: path})
	}
	return out
}

// limitRangeDefault reports a LimitRange in the namespace that defaults the resource
// for containers.
func (rc resourceCheck) limitRangeDefault(inv *inventory.Inventory, ns string) bool {
	if inv == nil {
		return false
	}
	for _, o := range inv.Kind("LimitRange") {
		lr, ok := o.Obj.(*corev1.LimitRange)
		if !ok || o.EffectiveNamespace() != ns {
			continue
		}
		for _, item := range lr.Spec.Limits {
			if item.Type != corev1.LimitTypeContainer {
				continue
			}
			// SetDefaults_LimitRangeItem: max → default limit; default, then min → default request.
			sources := []corev1.ResourceList{item.Default, item.Max}
			if !rc.Limit {
				sources = append(sources, item.DefaultRequest, item.Min)
			}
			for _, l := range sources {
				if ok, _ := rc.set(l); ok {
					return true
				}
			}
		}
	}
	return false
}
