package decoders

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestEvasion: a name in another case must not override the field. The reference and
// Moat's decoder read {"privileged":true,"Privileged":false} as privileged; a decoder
// that folds case reads it as not, and would hide the finding.
func TestEvasion(t *testing.T) {
	js := []byte(`{"apiVersion":"v1","kind":"Pod","spec":{"hostNetwork":true,"HostNetwork":false,"containers":[{"name":"c","securityContext":{"privileged":true,"Privileged":false}}]}}`)
	for _, c := range Candidates {
		var p corev1.Pod
		err := c.Unmarshal(js, &p)
		priv := p.Spec.Containers != nil && p.Spec.Containers[0].SecurityContext != nil && p.Spec.Containers[0].SecurityContext.Privileged != nil && *p.Spec.Containers[0].SecurityContext.Privileged
		t.Logf("%-20s err=%v hostNetwork=%v privileged=%v", c.Name, err, p.Spec.HostNetwork, priv)
		if (c.Name == moatsDecoder || c.Name == Candidates[0].Name) && (err != nil || !priv || !p.Spec.HostNetwork) {
			t.Errorf("%s: err=%v hostNetwork=%v privileged=%v, want true and true", c.Name, err, p.Spec.HostNetwork, priv)
		}
	}
}
