package pss

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func TestVersionStringsAreThoseTheLibraryAccepts(t *testing.T) {
	for _, s := range []string{
		"latest", "v1.0", "v1.9", "v1.10", "v1.25", "v1.37", "v1.99",
		"", "Latest", "v1", "v1.", "v1.01", "v2.0", "1.25", "v1.25.3", "V1.25", " v1.2", "v1.2 ",
		"v1.-1", "v1.x", "v1.99999999999999999999",
	} {
		_, libErr := api.ParseVersion(s)
		if got := ParseVersion(s); (got == nil) != (libErr == nil) {
			t.Errorf("ParseVersion(%q) = %v, library says %v", s, got, libErr)
		}
		if _, err := minorOf(s); (err == nil) != (libErr == nil || s == "") {
			t.Errorf("minorOf(%q) error = %v, library says %v", s, err, libErr)
		}
	}
	if err := ParseVersion("v2.0"); err == nil || !strings.Contains(err.Error(), `"v2.0"`) || !strings.Contains(err.Error(), "latest") {
		t.Errorf("ParseVersion(v2.0) error %v should quote the value and say what is allowed", err)
	}
}

// minimumVersionAt names the MinimumVersion of the VersionedCheck that at() picks, or ""
// when none applies, by finding the picked CheckPod among the library's versions.
func minimumVersionAt(t *testing.T, id policy.CheckID, version string) (string, []string) {
	t.Helper()
	var c policy.Check
	byFn := map[uintptr]string{}
	for _, dc := range policy.DefaultChecks() {
		for _, v := range dc.Versions {
			byFn[reflect.ValueOf(v.CheckPod).Pointer()] = string(dc.ID) + "@" + v.MinimumVersion.String()
		}
		if dc.ID == id {
			c = dc
		}
	}
	if c.ID == "" {
		t.Fatalf("no library check %s", id)
	}
	r := library[id].at(version)
	if r.check == nil {
		return "", nil
	}
	var overridden []string
	for _, o := range r.overridden {
		overridden = append(overridden, byFn[reflect.ValueOf(o).Pointer()])
	}
	name := byFn[reflect.ValueOf(r.check).Pointer()]
	_, mv, _ := strings.Cut(name, "@")
	return mv, overridden
}

func TestVersionSelection(t *testing.T) {
	for _, tc := range []struct {
		name       string
		check      policy.CheckID
		version    string
		want       string   // MinimumVersion of the versioned check used, "" for none
		overridden []string // baseline checks it replaces, as ID@MinimumVersion
	}{
		{"the oldest policy has the first privileged check", "privileged", "v1.0", "v1.0", nil},
		{"allowPrivilegeEscalation does not exist at v1.0", "allowPrivilegeEscalation", "v1.0", "", nil},
		{"allowPrivilegeEscalation starts at v1.8", "allowPrivilegeEscalation", "v1.8", "v1.8", nil},
		{"a middle version keeps the older revision", "allowPrivilegeEscalation", "v1.24", "v1.8", nil},
		{"the Windows exemption arrives at v1.25", "allowPrivilegeEscalation", "v1.25", "v1.25", nil},
		{"sysctls between revisions use the older one", "sysctls", "v1.28", "v1.27", nil},
		{"sysctls at latest use the newest revision", "sysctls", "latest", "v1.37", nil},
		{"a future minor evaluates as the newest revision", "sysctls", "v1.99", "v1.37", nil},
		{"probe hosts are not checked before v1.34", "hostProbesAndHostLifecycle", "v1.33", "", nil},
		{"probe hosts are checked from v1.34", "hostProbesAndHostLifecycle", "v1.34", "v1.34", nil},
		{"an empty version is latest", "runAsNonRoot", "", "v1.35", nil},
		{"a bad version evaluates as latest without panicking", "runAsNonRoot", "v2.0", "v1.35", nil},
		{"restricted seccomp replaces the baseline check of the same version", "seccompProfile_restricted", "v1.19",
			"v1.19", []string{"seccompProfile_baseline@v1.19"}},
		{"restricted capabilities replace the baseline capabilities", "capabilities_restricted", "latest",
			"v1.25", []string{"capabilities_baseline@v1.0"}},
		{"restricted procMount replaces the relaxed baseline procMount", "procMount_restricted", "v1.35",
			"v1.35", []string{"procMount@v1.35"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, overridden := minimumVersionAt(t, tc.check, tc.version)
			if got != tc.want {
				t.Errorf("%s at %q uses the check of %q, want %q", tc.check, tc.version, got, tc.want)
			}
			if !reflect.DeepEqual(overridden, tc.overridden) {
				t.Errorf("%s at %q overrides %v, want %v", tc.check, tc.version, overridden, tc.overridden)
			}
		})
	}
}

// A rule's findings follow the version in the context.
func TestRulesFollowTheVersion(t *testing.T) {
	pod := func(body string) *inventory.Object {
		objs, errs := inventory.Decode(strings.NewReader("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"+body), "pod.yaml")
		if len(errs) > 0 || len(objs) != 1 {
			t.Fatalf("decode: %v", errs)
		}
		return objs[0]
	}
	rootPod := pod("spec:\n  securityContext:\n    runAsUser: 0\n  containers:\n  - name: app\n    image: app\n")
	keepalive := pod("spec:\n  securityContext:\n    sysctls:\n    - name: net.ipv4.tcp_keepalive_time\n      value: \"600\"\n  containers:\n  - name: app\n    image: app\n")
	for _, tc := range []struct {
		name    string
		rule    string
		obj     *inventory.Object
		version string
		want    int
	}{
		{"runAsUser 0 is allowed before the check exists", "pod/run-as-root-user", rootPod, "v1.22", 0},
		{"runAsUser 0 is forbidden from v1.23", "pod/run-as-root-user", rootPod, "v1.23", 1},
		{"runAsUser 0 is forbidden at latest", "pod/run-as-root-user", rootPod, "latest", 1},
		{"a bad version in the context evaluates as latest", "pod/run-as-root-user", rootPod, "not-a-version", 1},
		{"tcp_keepalive_time is unsafe at v1.0", "pod/unsafe-sysctls", keepalive, "v1.0", 1},
		{"tcp_keepalive_time is unsafe at v1.28", "pod/unsafe-sysctls", keepalive, "v1.28", 1},
		{"tcp_keepalive_time is safe from v1.29", "pod/unsafe-sysctls", keepalive, "v1.29", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rule.Get(tc.rule)
			got := r.Object(&rule.Context{Options: rule.Options{PSSVersion: tc.version}}, tc.obj)
			if len(got) != tc.want {
				t.Errorf("%s at %q: %d results %v, want %d", tc.rule, tc.version, len(got), got, tc.want)
			}
		})
	}
}
