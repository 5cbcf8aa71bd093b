package deploychart

import (
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// valueSet is one way to install the chart that the tests render, lint and scan.
type valueSet struct {
	name   string
	values string // YAML, as a values file
	// want are "Kind/name" of objects the release must hold, beside the operator's.
	want []string
	// scanClean: moat scan reports nothing above info. Only sets that turn Moat's own
	// safeguards off (network policies) may report more.
	scanClean bool
}

// operatorObjects are what the defaults install.
var operatorObjects = []string{
	"ServiceAccount/moat-operator", "ClusterRole/moat-operator", "ClusterRoleBinding/moat-operator",
	"Role/moat-operator", "RoleBinding/moat-operator", "Deployment/moat-operator",
	"PodDisruptionBudget/moat-operator", "NetworkPolicy/moat-operator", "NetworkPolicy/moat-default-deny",
}

var admissionObjects = []string{
	"ServiceAccount/moat-admission", "Deployment/moat-admission", "Service/moat-admission",
	"PodDisruptionBudget/moat-admission", "NetworkPolicy/moat-admission",
	"ValidatingWebhookConfiguration/moat-admission",
}

var auditObjects = []string{
	"ServiceAccount/moat-audit", "Deployment/moat-audit", "Service/moat-audit",
	"PodDisruptionBudget/moat-audit", "NetworkPolicy/moat-audit",
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

var valueSets = []valueSet{
	{
		name:      "defaults",
		want:      operatorObjects,
		scanClean: true,
	},
	{
		name: "every component, the operator issuing the webhook's certificate",
		values: `
config:
  exceptions:
    - rules: [pod/liveness-probe-missing]
      namespaces: [legacy]
      reason: the legacy batch jobs have no HTTP endpoint (TICKET-7)
operator:
  metrics:
    enabled: true
    tls: {secretName: moat-operator-metrics-tls}
    clientCA: {secretName: prometheus-client-ca}
    allowFrom:
      - namespaceSelector:
          matchLabels: {kubernetes.io/metadata.name: monitoring}
admission:
  enabled: true
  clientCA: {secretName: apiserver-client-ca}
audit:
  enabled: true
  tls: {secretName: moat-audit-tls}
  auth:
    clientCA: {secretName: apiserver-client-ca}
    clientNames: [kube-apiserver]
  alerts:
    webhook: {secretName: moat-alert-webhook, format: slack}
  networkPolicy:
    egress:
      - to: [{ipBlock: {cidr: 10.20.0.0/16}}]
        ports: [{protocol: TCP, port: 443}]
`,
		want: concat(operatorObjects, admissionObjects, auditObjects, []string{
			"Secret/moat-admission-tls", "ConfigMap/moat-config",
			"ClusterRole/moat-operator-webhook", "ClusterRoleBinding/moat-operator-webhook",
			"Service/moat-operator-metrics",
		}),
		scanClean: true,
	},
	{
		name: "every component, cert-manager issuing the certificates",
		values: `
certManager: {enabled: true}
operator:
  metrics: {enabled: true}
admission: {enabled: true}
audit:
  enabled: true
  auth:
    tokenSecret: {secretName: moat-audit-token}
`,
		want: concat(operatorObjects, admissionObjects, auditObjects, []string{
			"Issuer/moat-selfsigned", "Certificate/moat-ca", "Issuer/moat-ca",
			"Certificate/moat-admission", "Certificate/moat-audit", "Certificate/moat-operator-metrics",
			"Service/moat-operator-metrics",
		}),
		scanClean: true,
	},
	{
		name: "cert-manager with a ClusterIssuer of the cluster, without the operator",
		values: `
certManager:
  enabled: true
  issuerRef: {name: cluster-ca, kind: ClusterIssuer}
operator: {enabled: false}
admission: {enabled: true}
`,
		want:      concat(admissionObjects, []string{"Certificate/moat-admission", "NetworkPolicy/moat-default-deny"}),
		scanClean: true,
	},
	{
		name: "older report API, one replica each, no network policies",
		values: `
networkPolicy: {enabled: false}
operator:
  reportAPI: wgpolicyk8s
  replicas: 1
  leaderElection: {enabled: false}
admission:
  enabled: true
  replicas: 1
`,
		want: []string{
			"ServiceAccount/moat-operator", "ClusterRole/moat-operator", "ClusterRoleBinding/moat-operator",
			"Role/moat-operator", "RoleBinding/moat-operator", "Deployment/moat-operator",
			"ServiceAccount/moat-admission", "Deployment/moat-admission", "Service/moat-admission",
			"ValidatingWebhookConfiguration/moat-admission", "Secret/moat-admission-tls",
			"ClusterRole/moat-operator-webhook", "ClusterRoleBinding/moat-operator-webhook",
		},
	},
}

// values decodes a value set.
func (s valueSet) decode(tb testing.TB) map[string]any {
	tb.Helper()
	vals := map[string]any{}
	if err := yaml.Unmarshal([]byte(s.values), &vals); err != nil {
		tb.Fatalf("%s: values: %v", s.name, err)
	}
	return vals
}

// file writes the value set as a values file (helm -f).
func (s valueSet) file(tb testing.TB) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "values.yaml")
	if err := os.WriteFile(p, []byte(s.values), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}
