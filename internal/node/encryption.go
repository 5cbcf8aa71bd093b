// Rules of encryption at rest, read from the file of the kube-apiserver's
// --encryption-provider-config the way the API server reads it:
//
//   - apiserver/encryption-provider-config (CIS 1.2.27): the flag is set, and its file
//     exists and is an EncryptionConfiguration the API server would accept (decoded
//     strictly with the upstream scheme, then checked with the upstream validation; the
//     API server refuses to start on either error).
//   - apiserver/encryption-providers (CIS 1.2.28): the provider that writes Secrets is a
//     strong one. The entry of resources that applies to secrets is found as the API
//     server finds it: an entry naming "secrets", else one naming "*." (every core
//     resource), else one naming "*.*"; of those, the first in the file (the API server
//     chains the providers of every entry naming the same resource, in file order, and
//     refuses a configuration where a wildcard comes before what it would mask). The
//     FIRST provider of that chain encrypts every write; the others only decrypt what
//     was written before. identity first stores Secrets in plaintext (high); aescbc is
//     open to padding-oracle attacks (medium); kms with apiVersion v1 (the default when
//     apiVersion is missing) is deprecated and off by default since Kubernetes 1.29
//     (medium); aesgcm is sound only while its keys are rotated (low): it draws a random
//     96-bit nonce per write, and NIST SP 800-38D caps a key used so at 2^32 encryptions
//     because past that a repeated nonce becomes likely, and one repeat reveals the
//     authentication key and the XOR of two plaintexts (the Kubernetes documentation
//     asks for rotation every 200,000 writes). kms v2 and secretbox pass. No entry that
//     covers secrets is high: they are stored in plaintext.
//   - apiserver/encryption-config-permissions: the file holds the keys themselves
//     (aescbc, aesgcm, secretbox), so it must be mode 0600 or stricter and owned by root.
//
// No message ever holds key material: decoding and validation errors are written from
// field paths and details only, and any key of the file that still appears in one is
// replaced with [REDACTED].
package node

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/apis/apiserver"
	apiserverinstall "k8s.io/apiserver/pkg/apis/apiserver/install"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	apiservervalidation "k8s.io/apiserver/pkg/apis/apiserver/validation"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

const encryptionFlag = "encryption-provider-config"

// encryptionScheme knows the apiserver.config.k8s.io types; the decoder is strict, as
// the API server's is (an unknown or duplicate field stops it).
var (
	encryptionScheme  = runtime.NewScheme()
	encryptionDecoder runtime.Decoder
)

func init() {
	apiserverinstall.Install(encryptionScheme)
	encryptionDecoder = serializer.NewCodecFactory(encryptionScheme, serializer.EnableStrict).
		UniversalDecoder(apiserverv1.SchemeGroupVersion)

	rule.Register(
		componentRule(APIServer, rule.Meta{
			ID:       "apiserver/encryption-provider-config",
			Title:    "Secrets are not encrypted at rest",
			Severity: finding.High,
			Description: `Without --encryption-provider-config the API server writes Secrets, and every other
resource, to etcd as they are: anyone who reads etcd's data directory, a backup or a
snapshot, or etcd's client port with a stolen certificate, reads every Secret of the
cluster. The flag names an EncryptionConfiguration file; when the file is missing or
is not a configuration the API server accepts, the API server does not start with it,
and the next restart takes the control plane down. CIS Kubernetes Benchmark 1.2.27;
NSA/CISA Kubernetes Hardening Guide (protect Secrets at rest); MITRE ATT&CK T1552.`,
			Remediation: "Write an EncryptionConfiguration (kind EncryptionConfiguration, apiVersion apiserver.config.k8s.io/v1) whose first provider for secrets is kms with apiVersion v2, or secretbox; pass it with --encryption-provider-config; then rewrite every Secret (kubectl get secrets -A -o json | kubectl replace -f -) so that existing ones are encrypted too.",
			Frameworks:  finding.Frameworks{CIS: "1.2.27", NSA: nsaControlPlane, MITRE: "T1552"},
		}, checkEncryptionProviderConfig),
		componentRule(APIServer, rule.Meta{
			ID:       "apiserver/encryption-providers",
			Title:    "Secrets are encrypted at rest with a weak provider, or not at all",
			Severity: finding.High,
			Description: `The first provider of the EncryptionConfiguration entry that applies to secrets
encrypts every Secret written; the providers after it only decrypt data written
before. identity first means plaintext (high). aescbc is open to padding-oracle
attacks and is no longer recommended (medium). kms with apiVersion v1 is deprecated
since Kubernetes 1.28 and disabled by default since 1.29 (medium). aesgcm draws a
random nonce per write and is safe only while its keys are rotated well before 2^32
writes per key (NIST SP 800-38D; the Kubernetes documentation says every 200,000
writes), which the file cannot show (low). kms v2 and secretbox pass. The entry is
found as the API server finds it: "secrets", else "*.", else "*.*". CIS Kubernetes
Benchmark 1.2.28; MITRE ATT&CK T1552.`,
			Remediation: "Make kms with apiVersion v2 (keys held by an external KMS) the first provider for secrets, or secretbox; keep the old provider after it until every Secret has been rewritten, then remove it.",
			Frameworks:  finding.Frameworks{CIS: "1.2.28", NSA: nsaControlPlane, MITRE: "T1552"},
		}, checkEncryptionProviders),
		componentRule(APIServer, rule.Meta{
			ID:       "apiserver/encryption-config-permissions",
			Title:    "Encryption configuration is readable or writable by others",
			Severity: finding.High,
			Description: `The file of --encryption-provider-config holds the keys of the aescbc, aesgcm and
secretbox providers in clear: whoever reads it decrypts every Secret in etcd and in
its backups, and whoever writes it chooses the keys (or identity) the API server uses
at its next start. It must be mode 0600 or stricter and owned by root, like the
private keys of the PKI directory. MITRE ATT&CK T1552.001 (credentials in files).`,
			Remediation: "chmod 600 the encryption configuration file and chown root:root it.",
			Frameworks:  finding.Frameworks{NSA: nsaControlPlane, MITRE: mitreCredFiles},
		}, checkEncryptionConfigPermissions),
	)
}

// encryptionConfig is an EncryptionConfiguration read from its file.
type encryptionConfig struct {
	Path   string
	Config *apiserverv1.EncryptionConfiguration
	doc    yamlDoc
}

// configProblem is what is wrong with a configuration file, with the line it is on
// when known.
type configProblem struct {
	Message string
	Line    int
}

// readEncryptionConfig decodes an EncryptionConfiguration the way the API server does:
// strictly, with its defaults, then validated as the API server validates it.
func readEncryptionConfig(path string, data []byte) (*encryptionConfig, *configProblem) {
	doc := parseYAMLDoc(data)
	redact := redactor(doc.scalarsUnder("secret"))
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, &configProblem{Message: path + ": the file is empty: the API server refuses to start with it"}
	}
	obj, gvk, err := encryptionDecoder.Decode(data, nil, nil)
	if err != nil {
		return nil, &configProblem{Message: path + ": " + redact(decodeError(err, "apiserver.config.k8s.io/v1", "EncryptionConfiguration")), Line: errorLine(err, doc)}
	}
	cfg, ok := obj.(*apiserverv1.EncryptionConfiguration)
	if !ok {
		return nil, &configProblem{Message: fmt.Sprintf("%s: kind %s, want EncryptionConfiguration (apiserver.config.k8s.io/v1)", path, gvk.Kind)}
	}
	var internal apiserver.EncryptionConfiguration
	if err := encryptionScheme.Convert(cfg, &internal, nil); err != nil {
		return nil, &configProblem{Message: fmt.Sprintf("%s: %s", path, redact(err.Error()))}
	}
	if errs := apiservervalidation.ValidateEncryptionConfiguration(&internal, false); len(errs) > 0 {
		return nil, validationProblem(path, errs, doc, func(e *field.Error) string { return redact(errorWithoutValue(e)) })
	}
	return &encryptionConfig{Path: path, Config: cfg, doc: doc}, nil
}

// validationProblem says what validation refused, each error as say writes it, at
// the line of the first.
func validationProblem(path string, errs field.ErrorList, doc yamlDoc, say func(*field.Error) string) *configProblem {
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		msgs = append(msgs, say(e))
	}
	return &configProblem{
		Message: fmt.Sprintf("%s: the API server refuses this configuration: %s", path, strings.Join(msgs, "; ")),
		Line:    doc.line(errs[0].Field),
	}
}

// errorWithoutValue writes a validation error from its field path and detail only: an
// EncryptionConfiguration error's value may be a whole provider, keys included.
func errorWithoutValue(e *field.Error) string {
	m := e.Field + ": " + e.Type.String()
	if e.Detail != "" {
		m += ": " + e.Detail
	}
	return m
}

// encryptionFile is the API server's encryption configuration, or the result that says
// why there is none to check; both nil when the flag is not set.
func encryptionFile(c *Component) (*encryptionConfig, *rule.Result) {
	return flagConfig(c, encryptionFlag, readEncryptionConfig)
}

// flagConfig reads the configuration file a flag names with read, or says why it
// cannot; both nil when the flag is not set.
func flagConfig[T any](c *Component, flag string, read func(path string, data []byte) (*T, *configProblem)) (*T, *rule.Result) {
	path, ok := c.Flags.Lookup(flag)
	if !ok || path == "" {
		return nil, nil
	}
	f, res := configFileFor(c, flag, path)
	if res != nil {
		return nil, res
	}
	v, prob := read(f.Path, f.Content)
	if prob != nil {
		return nil, &rule.Result{Message: prob.Message, Path: "--" + flag, Source: &finding.Source{File: f.Path, Line: prob.Line}}
	}
	return v, nil
}

// configFileFor is the examined file a flag names, or the result that says why it
// cannot be read. A file Load did not examine (a relative path, resolved against a
// working directory Moat does not know) is reported as such, at severity info: it
// is neither a pass nor a known failure.
func configFileFor(c *Component, flag, path string) (*File, *rule.Result) {
	f := c.Host.File(path)
	src := c.FlagSource(flag)
	switch {
	case f == nil || !strings.HasPrefix(path, "/"):
		return nil, &rule.Result{Message: fmt.Sprintf("--%s=%s was not examined (a relative path, or a file outside what was read); check it by hand", flag, path), Path: "--" + flag, Source: src, Severity: severityOf(finding.Info)}
	case f.Err != "":
		return nil, &rule.Result{Message: fmt.Sprintf("--%s=%s cannot be read: %s", flag, path, f.Err), Path: "--" + flag, Source: src}
	case !f.Exists:
		return nil, &rule.Result{Message: fmt.Sprintf("--%s=%s does not exist: the component does not start with it", flag, path), Path: "--" + flag, Source: src}
	case f.Dir:
		return nil, &rule.Result{Message: fmt.Sprintf("--%s=%s is a directory, not a file", flag, path), Path: "--" + flag, Source: src}
	case f.Content == nil:
		return nil, &rule.Result{Message: fmt.Sprintf("--%s=%s was not read (larger than %d bytes)", flag, path, MaxFileBytes), Path: "--" + flag, Source: src}
	}
	return f, nil
}

func checkEncryptionProviderConfig(c *Component) []rule.Result {
	if _, ok := c.Flags.Lookup(encryptionFlag); !ok || c.Flags.Value(encryptionFlag) == "" {
		return []rule.Result{{
			Message: "--encryption-provider-config is not set: Secrets are written to etcd in plaintext",
			Path:    "--" + encryptionFlag,
			Source:  c.FlagSource(encryptionFlag),
		}}
	}
	if _, res := encryptionFile(c); res != nil {
		return []rule.Result{*res}
	}
	return nil
}

func checkEncryptionProviders(c *Component) []rule.Result {
	cfg, _ := encryptionFile(c)
	if cfg == nil {
		return nil // apiserver/encryption-provider-config says why
	}
	v := cfg.secretsVerdict()
	if v.severity == nil {
		return nil
	}
	return []rule.Result{{Message: v.message, Path: v.path, Severity: v.severity, Source: &finding.Source{File: cfg.Path, Line: cfg.doc.line(v.path)}}}
}

func checkEncryptionConfigPermissions(c *Component) []rule.Result {
	path, ok := c.Flags.Lookup(encryptionFlag)
	if !ok || path == "" {
		return nil
	}
	f := c.Host.File(path)
	if f == nil || !f.Exists || f.Dir {
		return nil // apiserver/encryption-provider-config says why
	}
	var wrong []string
	if !f.ModeAtMost(0o600) {
		wrong = append(wrong, fmt.Sprintf("mode %04o (want 0600 or stricter)", f.Mode.Perm()))
	}
	if f.UID != 0 {
		wrong = append(wrong, fmt.Sprintf("owned by %s (want root)", c.Host.Owner(f)))
	}
	if len(wrong) == 0 {
		return nil
	}
	return []rule.Result{{
		Message: fmt.Sprintf("%s holds the keys that encrypt Secrets but is %s", f.Path, strings.Join(wrong, " and ")),
		Path:    "--" + encryptionFlag,
		Source:  &finding.Source{File: f.Path},
	}}
}

// secretsEntry is the index of the entry of resources whose providers write Secrets,
// -1 when none covers them: the entry naming secrets, else "*.", else "*.*" (the API
// server's order of lookup), the first in the file of each.
func (e *encryptionConfig) secretsEntry() int {
	for _, want := range []schema.GroupResource{
		{Group: "", Resource: "secrets"},
		{Group: "", Resource: "*"},
		{Group: "*", Resource: "*"},
	} {
		for i, rc := range e.Config.Resources {
			for _, r := range rc.Resources {
				if schema.ParseGroupResource(r) == want {
					return i
				}
			}
		}
	}
	return -1
}

// providerVerdict is the judgement of the provider that writes Secrets; severity nil
// is a pass.
type providerVerdict struct {
	severity *finding.Severity
	message  string
	path     string
}

func severityOf(s finding.Severity) *finding.Severity { return &s }

// secretsVerdict judges the first provider of the entry that covers secrets.
func (e *encryptionConfig) secretsVerdict() providerVerdict {
	i := e.secretsEntry()
	if i < 0 {
		return providerVerdict{severityOf(finding.High), "no entry of resources covers secrets (by name, \"*.\" or \"*.*\"): Secrets are written to etcd in plaintext", "resources"}
	}
	path := fmt.Sprintf("resources[%d].providers[0]", i)
	providers := e.Config.Resources[i].Providers
	if len(providers) == 0 {
		return providerVerdict{severityOf(finding.High), fmt.Sprintf("resources[%d] has no providers: Secrets are written in plaintext", i), fmt.Sprintf("resources[%d]", i)}
	}
	p := providers[0]
	switch {
	case p.Identity != nil:
		msg := "the first provider for secrets is identity: Secrets are written to etcd in plaintext"
		if len(providers) > 1 {
			msg += " (the providers after it only decrypt what was written before)"
		}
		return providerVerdict{severityOf(finding.High), msg, path}
	case p.AESCBC != nil:
		return providerVerdict{severityOf(finding.Medium), "the first provider for secrets is aescbc, open to padding-oracle attacks: prefer kms v2, or secretbox, or aesgcm with key rotation", path}
	case p.KMS != nil && p.KMS.APIVersion != "v2":
		return providerVerdict{severityOf(finding.Medium), fmt.Sprintf("the first provider for secrets is kms %q with apiVersion v1 (the default when apiVersion is missing), deprecated since Kubernetes 1.28; since 1.29 the API server starts with it only with --feature-gates=KMSv1=true: migrate to kms v2", p.KMS.Name), path}
	case p.AESGCM != nil:
		return providerVerdict{severityOf(finding.Low), fmt.Sprintf("the first provider for secrets is aesgcm (%d key(s)): safe only if its key is rotated well before 2^32 writes, after which a repeated random nonce becomes likely, and one repeat reveals the XOR of two Secrets and lets ciphertexts be forged; rotate it regularly (the Kubernetes documentation says every 200,000 writes) or use kms v2", len(p.AESGCM.Keys)), path}
	}
	return providerVerdict{} // kms v2, secretbox
}

// yamlDoc is a configuration file parsed a second time, for the lines of its fields:
// the typed decoders keep none.
type yamlDoc struct{ root *yaml.Node }

func parseYAMLDoc(data []byte) yamlDoc {
	var n yaml.Node
	if yaml.Unmarshal(data, &n) != nil || len(n.Content) == 0 {
		return yamlDoc{}
	}
	return yamlDoc{root: n.Content[0]}
}

// fieldPathPart matches one part of a field path as the API machinery writes them:
// "providers[1]", "keys[0]", "client-certificate-data", "users[admin]".
var fieldPathPart = regexp.MustCompile(`^([^\[\]]*)((?:\[[^\]]*\])*)$`)

// line is the line of the field at path ("resources[0].providers[1].aescbc"), or of
// the deepest part of it the file has; 0 when the file has none of it. An index in
// brackets that is not a number names the list item whose "name" is that string
// (kubeconfigs: "users[admin]").
func (d yamlDoc) line(path string) int {
	n, line := d.root, 0
	if n == nil {
		return 0
	}
	line = n.Line
	for _, part := range strings.Split(path, ".") {
		m := fieldPathPart.FindStringSubmatch(part)
		if m == nil {
			return line
		}
		if m[1] != "" {
			key, val := mappingEntry(n, m[1])
			if key == nil {
				return line
			}
			n, line = val, key.Line
		}
		for _, idx := range strings.Split(strings.Trim(m[2], "[]"), "][") {
			if idx == "" {
				continue
			}
			if n = sequenceItem(n, idx); n == nil {
				return line
			}
			line = n.Line
		}
	}
	return line
}

// mappingEntry is the key and value nodes of key in a mapping node.
func mappingEntry(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

// sequenceItem is item idx of a sequence node: by position, or the item whose name is
// idx.
func sequenceItem(n *yaml.Node, idx string) *yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	if i, err := strconv.Atoi(idx); err == nil {
		if i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
		return nil
	}
	for _, item := range n.Content {
		if _, name := mappingEntry(item, "name"); name != nil && name.Value == idx {
			return item
		}
	}
	return nil
}

// scalarsUnder is every scalar value of a mapping key named key, anywhere in the file.
func (d yamlDoc) scalarsUnder(key string) []string {
	var out []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil {
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
					out = append(out, n.Content[i+1].Value)
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(d.root)
	return out
}

// redactor replaces each secret of at least 8 characters in a message with
// [REDACTED]; shorter ones cannot be valid keys and would garble the message.
func redactor(secrets []string) func(string) string {
	return func(s string) string {
		for _, k := range secrets {
			if len(k) >= 8 {
				s = strings.ReplaceAll(s, k, "[REDACTED]")
			}
		}
		return s
	}
}

// decodeError says why a file could not be decoded. The API machinery's errors for a
// missing apiVersion or kind quote the whole file, keys included: those are said
// without it.
func decodeError(err error, apiVersion, kind string) string {
	if runtime.IsMissingKind(err) || runtime.IsMissingVersion(err) {
		return fmt.Sprintf("apiVersion or kind is missing (want apiVersion: %s, kind: %s)", apiVersion, kind)
	}
	return err.Error()
}

var (
	errLineRE  = regexp.MustCompile(`line (\d+)`)
	errFieldRE = regexp.MustCompile(`(?:unknown|duplicate) field "([^"]+)"`)
)

// errorLine is the line a decoding error is about: the line a YAML syntax error names,
// or the line of the first unknown or duplicate field a strict decoder names.
func errorLine(err error, doc yamlDoc) int {
	msg := err.Error()
	if m := errLineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if m := errFieldRE.FindStringSubmatch(msg); m != nil {
		return doc.line(m[1])
	}
	return 0
}
