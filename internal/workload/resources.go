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
// default limit, or else the min, becomes the default request. A value written as 0
// counts as none, and no LimitRange default replaces it.
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
	"strconv"
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

	// The words and fields of the rule, made once by newResourceCheck rather than for
	// every container.
	noun         string // "CPU request", "memory limit"
	limitField   string // "resources.limits.cpu"
	requestField string // "resources.requests.cpu"
	// The paths of the limit and request fields below containers, and of the rule's
	// own field among them, where a value is missing.
	limitPath, requestPath, missing *podspec.Field
}

func newResourceCheck(resource corev1.ResourceName, limit bool) resourceCheck {
	rc := resourceCheck{Resource: resource, Limit: limit}
	name := string(resource)
	if resource == corev1.ResourceCPU {
		name = "CPU"
	}
	rc.noun = name + " " + strings.TrimSuffix(rc.field(), "s")
	rc.limitField = "resources.limits." + string(resource)
	rc.requestField = "resources.requests." + string(resource)
	rc.limitPath, rc.requestPath = podspec.NewField(rc.limitField), podspec.NewField(rc.requestField)
	rc.missing = rc.requestPath
	if limit {
		rc.missing = rc.limitPath
	}
	return rc
}

func (rc resourceCheck) field() string {
	if rc.Limit {
		return "limits"
	}
	return "requests"
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
	limit, _ := rc.set(r.Limits)
	if rc.Limit {
		return limit
	}
	// The API defaults a request to the limit only when no request is written.
	if request, written := rc.set(r.Requests); written {
		return request
	}
	return limit
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
	defaulted := rc.limitRangeDefault(c.Inventory, ns)
	var out []rule.Result
	for ct := range p.AllContainers {
		if c.Err() != nil {
			return out // past the deadline: the evaluation is abandoned
		}
		if !rc.appliesTo(ct) || rc.covers(&ct.Resources) {
			continue
		}
		switch written := rc.writtenZero(&ct.Resources); {
		case written != "":
			// A written value, even 0, is never replaced by a LimitRange default.
			out = append(out, rule.Result{Message: ct.Sentence(" sets ", written, " to 0", rc.zeroMeans(written)), Path: rc.pathOf(written).Of(ct)})
		case defaulted:
			continue
		default:
			out = append(out, rule.Result{
				Message: ct.Sentence(" has no ", rc.noun, ", and no LimitRange in namespace ", strconv.Quote(ns), " gives a default"),
				Path:    rc.missing.Of(ct),
			})
		}
	}
	return out
}

// pathOf is the Field of writtenZero's answer.
func (rc resourceCheck) pathOf(field string) *podspec.Field {
	if field == rc.limitField {
		return rc.limitPath
	}
	return rc.requestPath
}

// zeroMeans is what a value of 0 written in field means, for the message.
func (rc resourceCheck) zeroMeans(field string) string {
	switch {
	case rc.Limit:
		return ", which is no limit"
	case strings.HasPrefix(field, "resources.limits."):
		return ", and its " + rc.noun + " defaults to that"
	}
	return ""
}

// writtenZero names the field that gives the container a value of 0 ("resources.limits.cpu"),
// or is empty when the container writes nothing for the resource.
func (rc resourceCheck) writtenZero(r *corev1.ResourceRequirements) string {
	_, limitWritten := rc.set(r.Limits)
	if rc.Limit {
		if limitWritten {
			return rc.limitField
		}
		return ""
	}
	if _, written := rc.set(r.Requests); written {
		return rc.requestField
	}
	if limitWritten {
		return rc.limitField // the request defaults to this limit
	}
	return ""
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

// limitRangeReason is why the four resource rules are not exported as admission policies.
const limitRangeReason = "a LimitRange default in the namespace satisfies the rule, and a policy cannot read LimitRanges"
