package paths

// The secrets layer: a workload reads the Secrets its pods mount as volumes (secret
// volumes and projected secret sources), read through the environment (secretKeyRef,
// envFrom secretRef) or pull images with (imagePullSecrets). Each field is evidence,
// with the workload's source. Such an edge has no fix: the workload needs the Secret,
// and moving it from the environment to a file still gives it the Secret, so the
// finding of secret/env-from-secret names the rule and place of an env reference but
// its fix is not the edge's. A Secret that the
// input does not hold still gets its node: a live cluster may have it.

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
)

// The env evidence comes from secret/env-from-secret's findings: the rule joins the
// evidence rules of the builder.
// secretRef is a Secret a pod names: its name, the field that names it, and how the
// pod uses it.
type secretRef struct {
	name, path, how string
	env             bool // read into the environment
}

// secretRefs lists the Secrets a pod names, in the order of its spec.
func secretRefs(pod podspec.Pod) []secretRef {
	var out []secretRef
	add := func(name, path, how string, env bool) {
		if name != "" {
			out = append(out, secretRef{name: name, path: path, how: how, env: env})
		}
	}
	for _, v := range pod.Volumes() {
		if v.Secret != nil {
			add(v.Secret.SecretName, v.Path+".secret.secretName", fmt.Sprintf("mounted as volume %q", v.Name), false)
		}
		if v.Projected == nil {
			continue
		}
		for j, s := range v.Projected.Sources {
			if s.Secret != nil {
				add(s.Secret.Name, fmt.Sprintf("%s.projected.sources[%d].secret.name", v.Path, j),
					fmt.Sprintf("mounted through projected volume %q", v.Name), false)
			}
		}
	}
	for _, ct := range pod.Containers() {
		for j, e := range ct.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				add(e.ValueFrom.SecretKeyRef.Name, fmt.Sprintf("%s.env[%d].valueFrom.secretKeyRef.name", ct.Path, j),
					fmt.Sprintf("key %q read into env %s of %s", e.ValueFrom.SecretKeyRef.Key, e.Name, ct.Describe()), true)
			}
		}
		for j, e := range ct.EnvFrom {
			if e.SecretRef != nil {
				add(e.SecretRef.Name, fmt.Sprintf("%s.envFrom[%d].secretRef.name", ct.Path, j),
					"every key read into the environment of "+ct.Describe(), true)
			}
		}
	}
	for i, s := range pod.Spec.ImagePullSecrets {
		add(s.Name, fmt.Sprintf("%s.imagePullSecrets[%d].name", pod.Path, i), "used to pull images", false)
	}
	return out
}

// secretNode adds the node of a Secret.
func (b *builder) secretNode(ns, name string) string {
	n := Node{ID: SecretID(ns, name), Kind: KindSecret, Namespace: ns, Name: name, Target: true}
	if o := b.inv.Find("Secret", ns, name); o != nil {
		r := o.Ref()
		n.Resource = &r
	}
	return b.g.node(n).ID
}

func (b *builder) secrets() error {
	for _, o := range b.workloadObjects() {
		pod, _ := podspec.Of(o)
		refs := secretRefs(pod)
		if len(refs) == 0 {
			continue
		}
		r := o.Ref()
		ns := o.EffectiveNamespace()
		env := b.findingsOf("secret/env-from-secret", r)
		from := b.workload(o)
		for _, ref := range refs {
			to := b.secretNode(ns, ref.name)
			ev := Evidence{Message: fmt.Sprintf("reads Secret %s/%s, %s", ns, ref.name, ref.how), Resource: &r, Path: ref.path, Source: o.SourceAt(ref.path)}
			if ref.env {
				// The finding's path is the reference's, without ".name".
				for _, f := range matching(env, func(f finding.Finding) bool { return f.Path+".name" == ref.path }) {
					ev.RuleID, ev.Path, ev.Source = f.RuleID, f.Path, f.Source
				}
			}
			if b.g.Nodes[to].Resource == nil {
				ev.Message += " (not in the input)"
			}
			b.g.edge(from, to, EdgeSecret, ev)
		}
	}
	return nil
}
