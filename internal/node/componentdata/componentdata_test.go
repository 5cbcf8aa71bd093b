package componentdata

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		version string
		wantErr string // "" when the 1.37 data loads
	}{
		{version: "1.37"},
		{version: "v1.37"},
		{version: "1.37.2"},
		{version: "v1.37.2"},
		{version: "v1.37.0"},
		{version: "v1.37.2+k3s1"},
		{version: "v1.37.2-eks-4f3a2b1"},
		{version: "1.037"},
		{version: "1.36", wantErr: "no data for Kubernetes 1.36 (Moat has data for 1.37)"},
		{version: "v2.37.0", wantErr: "no data for Kubernetes 2.37"},
		{version: "", wantErr: `"" is not a Kubernetes version`},
		{version: "latest", wantErr: `"latest" is not a Kubernetes version (1.37, v1.37.2) (Moat has data for 1.37)`},
		{version: "v1", wantErr: "is not a Kubernetes version"},
		{version: "1.37.2.1", wantErr: "is not a Kubernetes version"},
		{version: "1.x", wantErr: "is not a Kubernetes version"},
		{version: "1.-37", wantErr: "is not a Kubernetes version"},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			r, err := Load(tt.version)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load(%q) = %v, want an error with %q", tt.version, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(r.Version, "v1.37.") {
				t.Errorf("Load(%q).Version = %q, want a 1.37 release", tt.version, r.Version)
			}
		})
	}
}

func TestLatestIsNewestRelease(t *testing.T) {
	releases := Releases()
	if len(releases) == 0 {
		t.Fatal("no releases embedded")
	}
	want, err := Load(releases[len(releases)-1])
	if err != nil {
		t.Fatal(err)
	}
	if Latest() != want {
		t.Errorf("Latest() is not the data of %s", releases[len(releases)-1])
	}
}

// Every embedded release parses and holds what the checks of the rules rely on.
func TestEveryReleaseParses(t *testing.T) {
	for _, release := range Releases() {
		r, err := Load(release)
		if err != nil {
			t.Errorf("%s: %v", release, err)
			continue
		}
		for _, raw := range []json.RawMessage{r.Kubelet.ConfigDefaults, r.Kubelet.FlagDefaults, r.KubeProxy.ConfigDefaults} {
			var v map[string]any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Errorf("%s: a configuration default is not a JSON object: %v", release, err)
			}
		}
	}
}

func TestFlag(t *testing.T) {
	r := Latest()
	tests := []struct {
		component, flag string
		want            Flag
	}{
		{"kubelet", "read-only-port", Flag{Type: "int32", Default: "10255", Deprecated: true}},
		{"kubelet", "--anonymous-auth", Flag{Type: "bool", Default: "true", Deprecated: true}},
		{"kubelet", "config", Flag{Type: "string", Default: ""}},
		{"kubelet", "feature_gates", Flag{Type: "mapStringBool", Default: "", Deprecated: true}},
		{"kube-apiserver", "anonymous-auth", Flag{Type: "bool", Default: "true"}},
		{"kube-apiserver", "profiling", Flag{Type: "bool", Default: "true"}},
		{"kube-apiserver", "enable-admission-plugins", Flag{Type: "stringSlice", Default: "[]"}},
		{"kube-apiserver", "encryption-provider-config", Flag{Type: "string", Default: ""}},
		{"kube-apiserver", "kubelet-read-only-port", Flag{Type: "uint", Default: "10255", Deprecated: true}},
		{"kube-controller-manager", "use-service-account-credentials", Flag{Type: "bool", Default: "false"}},
		{"kube-controller-manager", "bind-address", Flag{Type: "ip", Default: "0.0.0.0"}},
		{"kube-scheduler", "profiling", Flag{Type: "bool", Default: "true"}},
		{"kube-proxy", "metrics-bind-address", Flag{Type: "ipport", Default: "127.0.0.1:10249"}},
	}
	for _, tt := range tests {
		t.Run(tt.component+" "+tt.flag, func(t *testing.T) {
			got, ok := r.Components[tt.component].Flag(tt.flag)
			if !ok || got != tt.want {
				t.Errorf("Flag(%q) = %+v, %v; want %+v", tt.flag, got, ok, tt.want)
			}
		})
	}
}

func TestFlagAbsent(t *testing.T) {
	r := Latest()
	tests := []struct{ component, flag string }{
		{"kube-apiserver", "help"},                  // every command has it; it configures nothing
		{"kube-proxy", "housekeeping-interval"},     // cAdvisor's, in the kubelet and not kube-proxy
		{"kube-apiserver", "insecure-bind-address"}, // removed in 1.24
		{"etcd", "client-cert-auth"},                // not a Kubernetes component
	}
	for _, tt := range tests {
		if f, ok := r.Components[tt.component].Flag(tt.flag); ok {
			t.Errorf("%s --%s = %+v, want no such flag", tt.component, tt.flag, f)
		}
	}
}

func TestAdmissionPluginsEnabled(t *testing.T) {
	r := Latest()
	tests := []struct {
		name            string
		enable, disable []string
		wantOn, wantOff []string
	}{
		{name: "no flags", wantOn: []string{"NamespaceLifecycle", "ServiceAccount", "PodSecurity"}, wantOff: []string{"NodeRestriction", "AlwaysPullImages", "AlwaysAdmit"}},
		{name: "NodeRestriction enabled", enable: []string{"NodeRestriction"}, wantOn: []string{"NodeRestriction", "NamespaceLifecycle"}},
		{name: "ServiceAccount disabled", disable: []string{"ServiceAccount"}, wantOff: []string{"ServiceAccount"}, wantOn: []string{"NamespaceLifecycle"}},
		{name: "in both lists enabled, as the API server does", enable: []string{"AlwaysPullImages"}, disable: []string{"AlwaysPullImages"}, wantOn: []string{"AlwaysPullImages"}},
		{name: "unknown names ignored", enable: []string{"NoSuchPlugin"}, wantOff: []string{"NoSuchPlugin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.AdmissionPluginsEnabled(tt.enable, tt.disable)
			for _, p := range tt.wantOn {
				if !slices.Contains(got, p) {
					t.Errorf("%s is not enabled: %v", p, got)
				}
			}
			for _, p := range tt.wantOff {
				if slices.Contains(got, p) {
					t.Errorf("%s is enabled: %v", p, got)
				}
			}
			// In the order the API server runs them.
			var order []int
			for _, p := range got {
				order = append(order, slices.Index(r.AdmissionPlugins.All, p))
			}
			if !slices.IsSorted(order) {
				t.Errorf("not in the order of admissionPlugins.all: %v", got)
			}
		})
	}
	if got := r.AdmissionPluginsEnabled(nil, nil); !slices.Equal(got, r.AdmissionPlugins.DefaultOn) {
		t.Errorf("with no flags %v, want defaultOn %v", got, r.AdmissionPlugins.DefaultOn)
	}
}

func TestFeatureEnabled(t *testing.T) {
	r := Latest()
	// Gates of each kind, found in the data rather than named here, so that the test
	// outlives any one gate's graduation.
	alpha := gateWhere(t, r, func(g FeatureGate) bool { return g.PreRelease == "ALPHA" && !g.Default && !g.LockToDefault }, "AllAlpha")
	beta := gateWhere(t, r, func(g FeatureGate) bool { return g.PreRelease == "BETA" && g.Default && !g.LockToDefault }, "AllBeta")
	locked := gateWhere(t, r, func(g FeatureGate) bool { return g.LockToDefault && g.Default }, "")
	tests := []struct {
		name             string
		gate             string
		overrides        map[string]bool
		wantOn, wantKnow bool
	}{
		{"alpha gate off by default", alpha, nil, false, true},
		{"alpha gate set on", alpha, map[string]bool{alpha: true}, true, true},
		{"AllAlpha turns it on", alpha, map[string]bool{"AllAlpha": true}, true, true},
		{"by name wins over AllAlpha", alpha, map[string]bool{"AllAlpha": true, alpha: false}, false, true},
		{"beta gate on by default", beta, nil, true, true},
		{"AllBeta=false turns it off", beta, map[string]bool{"AllBeta": false}, false, true},
		{"AllAlpha leaves a beta gate alone", beta, map[string]bool{"AllAlpha": false}, true, true},
		{"a locked gate keeps its default", locked, map[string]bool{locked: false}, true, true},
		{"unknown gate", "NoSuchGate", map[string]bool{"NoSuchGate": true}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			on, known := r.FeatureEnabled(tt.gate, tt.overrides)
			if on != tt.wantOn || known != tt.wantKnow {
				t.Errorf("FeatureEnabled(%q, %v) = %v, %v; want %v, %v", tt.gate, tt.overrides, on, known, tt.wantOn, tt.wantKnow)
			}
		})
	}
}

// gateWhere is the first gate by name that matches, other than skip.
func gateWhere(t *testing.T, r *Release, match func(FeatureGate) bool, skip string) string {
	t.Helper()
	var names []string
	for n, g := range r.FeatureGates {
		if n != skip && match(g) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		t.Fatal("no gate of the kind the test needs")
	}
	slices.Sort(names)
	return names[0]
}

func TestKubelet(t *testing.T) {
	k := Latest().Kubelet
	fieldTests := []struct{ flag, field string }{
		{"read-only-port", "readOnlyPort"},
		{"anonymous-auth", "authentication.anonymous.enabled"},
		{"authorization-mode", "authorization.mode"},
		{"client-ca-file", "authentication.x509.clientCAFile"},
		{"rotate-certificates", "rotateCertificates"},
		{"rotate-server-certificates", "serverTLSBootstrap"},
		{"event-qps", "eventRecordQPS"},
		{"v", "logging.verbosity"},
	}
	for _, tt := range fieldTests {
		if got := k.FlagFields[tt.flag]; got != tt.field {
			t.Errorf("flagFields[%q] = %q, want %q", tt.flag, got, tt.field)
		}
	}
	if _, ok := k.FlagFields["config"]; ok {
		t.Error("--config sets no field of the configuration")
	}

	// The same settings from a config file that sets nothing, and with no config file.
	defaultTests := []struct {
		path             string
		fromFile, noFile any // as JSON decodes them; nil when the field is left out
	}{
		{"authentication.anonymous.enabled", false, true},
		{"authentication.webhook.enabled", true, false},
		{"authorization.mode", "Webhook", "AlwaysAllow"},
		{"readOnlyPort", nil, 10255.0},
		{"protectKernelDefaults", nil, nil},
		{"evictionHard.memory.available", "100Mi", nil},
		{"port", 10250.0, 10250.0},
	}
	for _, tt := range defaultTests {
		if got := jsonPath(t, k.ConfigDefaults, tt.path); got != tt.fromFile {
			t.Errorf("configDefaults %s = %v, want %v", tt.path, got, tt.fromFile)
		}
		if got := jsonPath(t, k.FlagDefaults, tt.path); got != tt.noFile {
			t.Errorf("flagDefaults %s = %v, want %v", tt.path, got, tt.noFile)
		}
	}
}

func TestKubeProxy(t *testing.T) {
	p := Latest().KubeProxy
	for flag, field := range map[string]string{
		"metrics-bind-address": "metricsBindAddress",
		"healthz-bind-address": "healthzBindAddress",
		"kubeconfig":           "clientConnection.kubeconfig",
		"proxy-mode":           "mode",
	} {
		if got := p.FlagFields[flag]; got != field {
			t.Errorf("flagFields[%q] = %q, want %q", flag, got, field)
		}
	}
	for _, tt := range []struct {
		flag string
		over bool
	}{{"hostname-override", true}, {"v", true}, {"metrics-bind-address", false}, {"proxy-mode", false}} {
		if got := slices.Contains(p.FlagsOverConfig, tt.flag); got != tt.over {
			t.Errorf("--%s applies over --config: %v, want %v", tt.flag, got, tt.over)
		}
	}
	for path, want := range map[string]any{"metricsBindAddress": "127.0.0.1:10249", "mode": "iptables", "enableProfiling": false} {
		if got := jsonPath(t, p.ConfigDefaults, path); got != want {
			t.Errorf("configDefaults %s = %v, want %v", path, got, want)
		}
	}
}

// jsonPath reads a dotted path of object keys; the last key may hold dots
// ("evictionHard.memory.available").
func jsonPath(t *testing.T, raw json.RawMessage, path string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	for path != "" {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		if whole, ok := m[path]; ok {
			return whole
		}
		key, rest, _ := strings.Cut(path, ".")
		v, path = m[key], rest
	}
	return v
}

func TestLoadConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	got := make([]*Release, 8)
	for i := range got {
		wg.Go(func() {
			r, err := Load("v1.37.2")
			if err != nil {
				t.Error(err)
			}
			got[i] = r
		})
	}
	wg.Wait()
	for _, r := range got[1:] {
		if r != got[0] {
			t.Fatal("Load parsed the data more than once")
		}
	}
}

func FuzzParseRelease(f *testing.F) {
	for _, s := range []string{"1.37", "v1.37.2", "v1.37.2+k3s1", "v1", "", "1.x", "v1.37.2-rc.1", "1..2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, version string) {
		release, err := ParseRelease(version)
		if err != nil {
			return
		}
		// A release is "major.minor" and reads as itself.
		if again, err := ParseRelease(release); err != nil || again != release {
			t.Errorf("ParseRelease(%q) = %q, which reads as %q, %v", version, release, again, err)
		}
		if _, err := Load(version); err != nil && !strings.Contains(err.Error(), "no data for Kubernetes") {
			t.Errorf("Load(%q): %v", version, err)
		}
	})
}
