package admission

import (
	"os"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// selfExempting is a pod that would own its node (privileged, hostPID, hostNetwork, the
// host's / mounted) and asks to be ignored by every rule.
func selfExempting(t *testing.T, namespace, user string, groups ...string) *admissionv1.AdmissionRequest {
	t.Helper()
	b, err := os.ReadFile("testdata/self-exempting-pod.json")
	if err != nil {
		t.Fatal(err)
	}
	obj := strings.Replace(string(b), "NAMESPACE", namespace, 1)
	return &admissionv1.AdmissionRequest{UID: "u-escape", Operation: admissionv1.Create, Namespace: namespace,
		UserInfo: authenticationv1.UserInfo{Username: user, Groups: groups}, Object: runtime.RawExtension{Raw: []byte(obj)}}
}

func TestAnObjectCannotExemptItself(t *testing.T) {
	allowing := `
admission:
  ignoreAnnotations:
    namespaces: [legacy]
    users: [system:serviceaccount:ci:deployer]
    groups: [platform-admins]
`
	cases := []struct {
		name   string
		config string
		req    *admissionv1.AdmissionRequest
		// honoured: the annotation suppresses the findings and the pod is admitted.
		honoured bool
	}{
		{"by default nobody may", "", selfExempting(t, "shop", "mallory"), false},
		{"a cluster admin in the default config may not either", "", selfExempting(t, "shop", "admin", "system:masters"), false},
		{"a namespace the settings name", allowing, selfExempting(t, "legacy", "mallory"), true},
		{"a user the settings name", allowing, selfExempting(t, "shop", "system:serviceaccount:ci:deployer"), true},
		{"a group the settings name", allowing, selfExempting(t, "shop", "alice", "platform-admins"), true},
		{"anyone else under those settings", allowing, selfExempting(t, "shop", "mallory", "developers"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := reviewer(t, c.config).Decide(c.req)
			resp := d.Response
			if resp.UID != c.req.UID {
				t.Errorf("uid %q, want %q", resp.UID, c.req.UID)
			}
			wantIgnore, wantWarning := IgnoreRefused, "is not honoured at admission"
			if c.honoured {
				wantIgnore, wantWarning = IgnoreHonoured, "is honoured"
			}
			if resp.Allowed != c.honoured {
				t.Fatalf("allowed = %v, want %v (%+v)", resp.Allowed, c.honoured, resp.Result)
			}
			if !c.honoured {
				for _, rule := range []string{"[pod/privileged-container]", "[pod/host-namespaces]", "[pod/host-path-volumes]"} {
					if !strings.Contains(resp.Result.Message, rule) {
						t.Errorf("denial does not name %s:\n%s", rule, resp.Result.Message)
					}
				}
			}
			if d.Ignore != wantIgnore {
				t.Errorf("Decision.Ignore = %q, want %q", d.Ignore, wantIgnore)
			}
			if len(resp.Warnings) == 0 || !strings.Contains(resp.Warnings[0], wantWarning) {
				t.Errorf("warnings %q: the first must say the annotation %s", resp.Warnings, wantWarning)
			}
			if got := resp.AuditAnnotations["ignore-annotation"]; got != wantIgnore {
				t.Errorf("audit annotation ignore-annotation = %q, want %q", got, wantIgnore)
			}
			if c.honoured && !strings.Contains(resp.AuditAnnotations["ignored-rules"], "pod/privileged-container") {
				t.Errorf("audit annotation ignored-rules = %q, want the suppressed rules", resp.AuditAnnotations["ignored-rules"])
			}
		})
	}
}

func TestIgnoreAnnotationsSettingsErrors(t *testing.T) {
	_, err := parse(t, "admission:\n  ignoreAnnotations:\n    teams: [a]\n")
	if err == nil || !strings.Contains(err.Error(), `unknown field "teams"`) {
		t.Errorf("err = %v, want the unknown field named", err)
	}
}
