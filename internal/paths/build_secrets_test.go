package paths

import "testing"

func TestSecretEdges(t *testing.T) {
	const api = "workload:shop/Deployment/api"
	reads := func(name string) layerEnds { return layerEnds{api, SecretID("shop", name), EdgeSecret} }
	runLayerCases(t, []layerCase{
		{name: "every way a pod names a Secret", dir: "secrets/all-refs",
			want: []layerWant{
				{layerEnds: reads("api-tls"), says: []string{`mounted as volume "tls"`}},
				{layerEnds: reads("signing-key"), says: []string{`mounted through projected volume "bundle" (not in the input)`}},
				// the env finding is evidence, and its fix (a file instead) is not the edge's
				{layerEnds: reads("db"), rules: []string{"secret/env-from-secret"}, says: []string{`key "password" read into env DB_PASSWORD`}},
				{layerEnds: reads("api-env"), rules: []string{"secret/env-from-secret"}, says: []string{"(not in the input)"}},
				{layerEnds: reads("registry"), says: []string{"used to pull images"}},
			}},
		{name: "a Secret nothing names", dir: "secrets/none",
			absent: []layerEnds{reads("db")}},
	})
}

// TestSecretEvidencePlaces: each reference is evidence at its field, with the
// workload's file and line, and its Secret is a target whether the input holds it or not.
func TestSecretEvidencePlaces(t *testing.T) {
	g := layerFixture(t, "secrets/all-refs", Options{})
	for _, tc := range []struct {
		secret, path string
		line         int
		inInput      bool
	}{
		{"api-tls", "spec.template.spec.volumes[0].secret.secretName", 38, true},
		{"signing-key", "spec.template.spec.volumes[1].projected.sources[1].secret.name", 45, false},
		{"db", "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef", 22, true},
		{"api-env", "spec.template.spec.containers[0].envFrom[0].secretRef", 26, false},
		{"registry", "spec.template.spec.imagePullSecrets[0].name", 15, true},
	} {
		id := SecretID("shop", tc.secret)
		e := layerEdgeAt(g, layerEnds{"workload:shop/Deployment/api", id, EdgeSecret})
		if e == nil {
			t.Errorf("no edge to %s", id)
			continue
		}
		ev := e.Evidence[0]
		if ev.Path != tc.path || ev.Source == nil || ev.Source.Line != tc.line || ev.Resource == nil || ev.Resource.Name != "api" {
			t.Errorf("%s: evidence at %s %+v of %+v, want %s line %d of the Deployment", id, ev.Path, ev.Source, ev.Resource, tc.path, tc.line)
		}
		n := g.Nodes[id]
		if !n.Target || (n.Resource != nil) != tc.inInput {
			t.Errorf("%s: target %v, resource %+v; want a target, in the input %v", id, n.Target, n.Resource, tc.inInput)
		}
	}
}
