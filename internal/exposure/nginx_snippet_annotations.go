// Rule ingress/nginx-snippet-annotations: an Ingress should not carry configuration
// snippets for the NGINX ingress controllers, and the ingress-nginx controller should
// not accept them. A snippet (nginx.ingress.kubernetes.io/configuration-snippet,
// server-snippet, auth-snippet, stream-snippet, modsecurity-snippet, and any other
// nginx.ingress.kubernetes.io/*-snippet; NGINX Inc.'s nginx.org/server-snippets and
// location-snippets) is pasted into the controller's nginx.conf as written, so whoever
// may create an Ingress runs configuration — and with it file reads and Lua code — in
// the controller, whose ServiceAccount reads every Secret of the cluster
// (CVE-2021-25742). A snippet that reads files or runs code (alias, root, include,
// load_module, *_by_lua, service-account token paths) is reported as high.
//
// The controller's ConfigMap key allow-snippet-annotations set to true (as
// strconv.ParseBool reads it, as the controller does) is reported as well: it is what
// lets any Ingress author do so. Controllers from 1.12 also need annotations-risk-level
// Critical; since the controller's version is not known from the manifests, the key
// alone is reported.
package exposure

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "ingress/nginx-snippet-annotations",
			Title:    "Ingress injects NGINX configuration snippets",
			Severity: finding.Medium,
			Description: `An Ingress carries an NGINX configuration snippet (nginx.ingress.kubernetes.io/configuration-snippet,
server-snippet, auth-snippet, stream-snippet, modsecurity-snippet or any other
*-snippet annotation of ingress-nginx; nginx.org/server-snippets or location-snippets of
NGINX Inc.'s controller), or the ingress-nginx ConfigMap sets allow-snippet-annotations:
"true". Snippets are copied into the controller's nginx.conf unchecked, so anyone who may
create an Ingress runs configuration in the controller, reads its files and, through
them, the controller's service-account token, which can read every Secret in the
cluster (CVE-2021-25742; Kubescape C-0059; Checkov CKV_K8S_153). A snippet that reads
files or runs code (alias, root, include, load_module, *_by_lua, service-account token
paths; Checkov CKV_K8S_152 and 154) is high. MITRE ATT&CK T1552.007 (Container API
credentials); NSA/CISA Kubernetes Hardening Guide, network separation.`,
			Remediation: "Express the behaviour with the controller's dedicated annotations or its global ConfigMap, keep allow-snippet-annotations false (the default since ingress-nginx 1.9), and if snippets cannot be avoided, restrict who may create Ingresses and raise annotations-risk-level only on a controller dedicated to that team.",
			Frameworks:  finding.Frameworks{NSA: nsaNetworkSeparation, MITRE: "T1552.007"},
			Kinds:       []string{"Ingress", "ConfigMap"},
		},
		Object: checkNginxSnippets,
		CEL: &rule.CEL{
			Resources: []rule.APIResources{
				{Group: "networking.k8s.io", Version: "v1", Resources: []string{"ingresses"}},
				{Version: "v1", Resources: []string{"configmaps"}},
			},
			// dyn: the policy also matches Ingresses, which have no data field for the type check.
			Expression: "object.kind == 'ConfigMap' ? !(dyn(object).?data[?'allow-snippet-annotations'].orValue('') in " + trueWordsCEL + ") : " +
				"!object.metadata.?annotations.orValue({}).exists(k, " + snippetKeyCEL + " && object.metadata.annotations[k].trim() != '')",
			Message: "object.kind == 'ConfigMap' ? 'ConfigMap \"' + object.metadata.?name.orValue('') + '\" sets allow-snippet-annotations: every Ingress author may inject NGINX configuration into the controller (CVE-2021-25742)' : " +
				"'Ingress annotations ' + object.metadata.annotations.filter(k, " + snippetKeyCEL + " && object.metadata.annotations[k].trim() != '').join(', ') + ' inject NGINX configuration into the controller (CVE-2021-25742)'",
		},
	})
}

// nginxIncSnippets are NGINX Inc.'s snippet annotations (kubernetes-ingress).
var nginxIncSnippets = []string{"nginx.org/server-snippets", "nginx.org/location-snippets"}

const ingressNginxPrefix = "nginx.ingress.kubernetes.io/"

// snippetKeyCEL: annotation key k is a snippet annotation.
var snippetKeyCEL = "((k.startsWith('" + ingressNginxPrefix + "') && k.endsWith('-snippet')) || k in ['" + strings.Join(nginxIncSnippets, "', '") + "'])"

// trueWordsCEL are the spellings strconv.ParseBool reads as true.
const trueWordsCEL = "['1', 't', 'T', 'TRUE', 'true', 'True']"

// dangerousSnippet matches directives and paths through which a snippet reads files
// or runs code in the controller.
var dangerousSnippet = regexp.MustCompile(`(?i)(_by_lua|\blua_|\balias\s|\broot\s|\binclude\s|\bload_module\b|/secrets/kubernetes\.io|serviceaccount/token)`)

func isSnippetKey(k string) bool {
	return strings.HasPrefix(k, ingressNginxPrefix) && strings.HasSuffix(k, "-snippet") || slices.Contains(nginxIncSnippets, k)
}

func checkNginxSnippets(_ *rule.Context, o *inventory.Object) []rule.Result {
	switch {
	case o.Kind() == "ConfigMap" && o.GVK.Group == "":
		return checkSnippetConfigMap(o)
	case o.Kind() == "Ingress" && (o.GVK.Group == "networking.k8s.io" || o.GVK.Group == "extensions"):
	default:
		return nil
	}
	anns := o.Meta.GetAnnotations()
	var out []rule.Result
	for _, k := range slices.Sorted(maps.Keys(anns)) {
		v := anns[k]
		if !isSnippetKey(k) || strings.TrimSpace(v) == "" {
			continue
		}
		r := rule.Result{
			Message: fmt.Sprintf("annotation %s injects NGINX configuration into the ingress controller, which can read every Secret of the cluster (CVE-2021-25742)", k),
			Path:    "metadata.annotations[" + k + "]",
		}
		if m := dangerousSnippet.FindString(v); m != "" {
			high := finding.High
			r.Severity = &high
			r.Message = fmt.Sprintf("annotation %s injects NGINX configuration that reads files or runs code (%q) in the ingress controller, which can read every Secret of the cluster (CVE-2021-25742)", k, strings.TrimSpace(m))
		}
		out = append(out, r)
	}
	return out
}

func checkSnippetConfigMap(o *inventory.Object) []rule.Result {
	cm, ok := o.Obj.(*corev1.ConfigMap)
	if !ok {
		return nil
	}
	v, ok := cm.Data["allow-snippet-annotations"]
	if !ok {
		return nil
	}
	if on, err := strconv.ParseBool(v); err != nil || !on {
		return nil
	}
	return []rule.Result{{
		Message: fmt.Sprintf("ConfigMap %q sets allow-snippet-annotations: %q, so every Ingress author may inject NGINX configuration into the controller, and through it read every Secret of the cluster (CVE-2021-25742)", o.Name(), v),
		Path:    "data[allow-snippet-annotations]",
	}}
}
