package manifests

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	_ "github.com/moat-dev/moat/internal/catalog"
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/golden"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/scan"
)

const deployed = "../../../deploy/admission/manifests.yaml"

// TestManifestsScanClean scans the printed manifests with every rule: not one finding,
// at any severity.
func TestManifestsScanClean(t *testing.T) {
	for _, opt := range []Options{{}, {RegistryEgress: []string{"203.0.113.0/24", "2001:db8::/32"}}} {
		scanClean(t, opt)
	}
}

func scanClean(t *testing.T, opt Options) {
	t.Helper()
	data, err := YAML(Objects(opt))
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := inventory.Decode(bytes.NewReader(data), "manifests.yaml")
	if len(errs) > 0 {
		t.Fatalf("the manifests do not decode: %v", errs)
	}
	kinds := map[string]bool{}
	for _, o := range objs {
		kinds[o.Kind()] = true
	}
	for _, k := range []string{"Namespace", "ServiceAccount", "Deployment", "PodDisruptionBudget", "Service", "NetworkPolicy", "ValidatingWebhookConfiguration"} {
		if !kinds[k] {
			t.Errorf("no %s in the manifests", k)
		}
	}
	inv := inventory.NewInventory(objs)
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	res := scan.NewEvaluator(scan.Options{Config: &exceptions.Config{}, Now: func() time.Time { return now }}).Evaluate(context.Background(), inv)
	if len(res.Errors) > 0 {
		t.Errorf("errors: %q", res.Errors)
	}
	for _, f := range res.Findings {
		if f.Suppressed == nil && f.Severity >= finding.Info {
			t.Errorf("%+v: %s %s: [%s] %s (%s)", opt, f.Source, f.Resource, f.RuleID, f.Message, f.Path)
		}
	}
}

// TestDeployedCopy keeps deploy/admission/manifests.yaml equal to what the code prints.
func TestDeployedCopy(t *testing.T) {
	data, err := YAML(Objects(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, deployed, data)
}

// TestRegistryEgress: the webhook has no egress unless asked, and then DNS and HTTPS only.
func TestRegistryEgress(t *testing.T) {
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{}, "[]"},
		{Options{RegistryEgress: []string{"203.0.113.0/24"}}, "[UDP/53 TCP/53 to kube-system/kube-dns | TCP/443 to 203.0.113.0/24]"},
		{Options{RegistryEgress: []string{"0.0.0.0/0", "::/0"}}, "[UDP/53 TCP/53 to kube-system/kube-dns | TCP/443 to 0.0.0.0/0 except 169.254.169.254/32 ::/0]"},
	} {
		var got []string
		for _, o := range Objects(c.opt) {
			np, ok := o.(*networkingv1.NetworkPolicy)
			if !ok || np.Name != Name {
				continue
			}
			for _, r := range np.Spec.Egress {
				var parts []string
				for _, p := range r.Ports {
					parts = append(parts, fmt.Sprintf("%s/%s", *p.Protocol, p.Port.String()))
				}
				s := strings.Join(parts, " ")
				for i, peer := range r.To {
					if i == 0 {
						s += " to"
					}
					if peer.IPBlock == nil {
						s += " " + peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] + "/" + peer.PodSelector.MatchLabels["k8s-app"]
						continue
					}
					s += " " + peer.IPBlock.CIDR
					if len(peer.IPBlock.Except) > 0 {
						s += " except " + strings.Join(peer.IPBlock.Except, ",")
					}
				}
				got = append(got, s)
			}
		}
		if s := "[" + strings.Join(got, " | ") + "]"; s != c.want {
			t.Errorf("%+v: egress %s, want %s", c.opt, s, c.want)
		}
	}
}

func TestOptions(t *testing.T) {
	data, err := YAML(Objects(Options{Namespace: "security", Image: "registry.example.com/moat@sha256:" + strings.Repeat("a", 64), Replicas: 3, CABundle: []byte("PEM")}))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{"namespace: security", "replicas: 3", "registry.example.com/moat@sha256:", "caBundle: UEVN", "- security"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(s, "cert-manager.io/inject-ca-from: ") {
		t.Error("a given CA bundle still asks cert-manager to inject one")
	}
}

func TestValidateRegistryEgress(t *testing.T) {
	for _, c := range []struct {
		cidrs []string
		err   string
	}{
		{[]string{"203.0.113.0/24", "::/0"}, ""},
		{[]string{"registry.example.com"}, `--registry-egress "registry.example.com": want an address block`},
	} {
		err := Options{Replicas: 2, RegistryEgress: c.cidrs}.Validate()
		if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%q: error %v, want %q", c.cidrs, err, c.err)
		}
	}
}
