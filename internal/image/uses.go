package image

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
)

// Workload is one container that runs an image.
type Workload struct {
	Resource  finding.Resource `json:"resource"`
	Container string           `json:"container"`
	// Path is the container's field path ("spec.template.spec.containers[0]").
	Path   string          `json:"path"`
	Source *finding.Source `json:"source,omitempty"`
}

// Use is an image and every container that runs it.
type Use struct {
	// Image is the reference as the pod spec writes it.
	Image     string     `json:"image"`
	Workloads []Workload `json:"workloads"`
	// PullSecrets are the Secrets ("namespace/name") the workloads pull it with: their
	// imagePullSecrets and those of their service accounts.
	PullSecrets []string `json:"pullSecrets,omitempty"`
}

// Uses lists the images the workloads of inv run, each once however many containers
// run it, in reference order. A workload's pods are described by the workload (a live
// scan's inventory leaves owned pods out), so each container counts once.
func Uses(inv *inventory.Inventory) []Use {
	byImage := map[string]*Use{}
	for _, o := range inv.Objects {
		pod, ok := podspec.Of(o)
		if !ok {
			continue
		}
		ns := o.EffectiveNamespace()
		secrets := pullSecrets(inv, ns, pod.Spec)
		for _, c := range pod.Containers() {
			img := strings.TrimSpace(c.Image)
			if img == "" {
				continue
			}
			u := byImage[img]
			if u == nil {
				u = &Use{Image: img}
				byImage[img] = u
			}
			u.Workloads = append(u.Workloads, Workload{Resource: o.Ref(), Container: c.Name, Path: c.Path, Source: o.SourceAt(c.Path + ".image")})
			for _, s := range secrets {
				if !slices.Contains(u.PullSecrets, s) {
					u.PullSecrets = append(u.PullSecrets, s)
				}
			}
		}
	}
	out := make([]Use, 0, len(byImage))
	for _, u := range byImage {
		slices.Sort(u.PullSecrets)
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b Use) int { return strings.Compare(a.Image, b.Image) })
	return out
}

// pullSecrets are the Secrets a pod pulls its images with: its own imagePullSecrets and
// its service account's (the API server adds the latter to the pod at admission).
func pullSecrets(inv *inventory.Inventory, ns string, spec *corev1.PodSpec) []string {
	var out []string
	add := func(refs []corev1.LocalObjectReference) {
		for _, r := range refs {
			if r.Name != "" {
				out = append(out, ns+"/"+r.Name)
			}
		}
	}
	add(spec.ImagePullSecrets)
	sa := spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	if o := inv.Find("ServiceAccount", ns, sa); o != nil {
		if s, ok := o.Obj.(*corev1.ServiceAccount); ok {
			add(s.ImagePullSecrets)
		}
	}
	return out
}
