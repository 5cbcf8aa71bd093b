// Rules of the certificates the components use:
//
//   - node/certificate-expiry: no certificate has expired (critical) or expires within
//     30 days of the scan's clock (high).
//   - node/weak-key: no certificate has an RSA key under 2048 bits, an ECDSA key under
//     256 bits or a DSA key, or is signed with SHA-1 or MD5 (a self-signed root's own
//     signature excepted: a trust anchor is trusted for being there, its signature is
//     never checked).
//   - node/ca-file-permissions: a CA file a component trusts is neither writable by its
//     group or others nor owned by anyone but root.
//   - kubelet/rotate-certificates (CIS 4.2.10) and kubelet/rotate-server-certificates
//     (CIS 4.2.11): the kubelet renews its client certificate, and its serving
//     certificate is one the cluster's CA signs.
//
// The certificates are those of every file Load read that a component uses: files its
// flags name (PEM files, and kubeconfigs: --kubeconfig, --authentication-kubeconfig,
// the webhook configuration files), the kubelet's tlsCertFile, client CA file and
// kubeconfig, every certificate file beneath the PKI directory, the layout's
// kubeconfigs (admin.conf, super-admin.conf, scheduler.conf, controller-manager.conf),
// and the files a kubeconfig's client-certificate and certificate-authority name when
// Load read them. Each file is reported once, on the first component that uses it in
// the order of Kinds; the PKI directory and admin.conf are the control plane's and go
// to the kube-apiserver (or the first control-plane component found). Key data of a
// kubeconfig is never read into a message.
package node

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// expiryWarning is how long before its end a certificate is reported.
const expiryWarning = 30 * 24 * time.Hour

func init() {
	rule.Register(
		contextRule(Kinds, rule.Meta{
			ID:       "node/certificate-expiry",
			Title:    "Certificate expired or expiring within 30 days",
			Severity: finding.High,
			Description: `A component whose certificate has expired can no longer authenticate (a client
certificate), be trusted (a serving certificate) or verify others (a CA): the API
server stops reaching etcd or the kubelets, the kubelet drops out of the cluster,
kubectl with admin.conf stops working. kubeadm's certificates last one year and are
renewed only by an upgrade or "kubeadm certs renew". Expired certificates are
critical; those expiring within 30 days of the scan are high. Every certificate of
the PKI directory, of the files the components' flags name and of the kubeconfigs they
use is checked.`,
			Remediation: "Renew the certificate before it expires (kubeadm certs renew, or the distribution's rotation) and restart the components that read it; enable the kubelet's rotateCertificates so that its client certificate renews itself.",
			Frameworks:  finding.Frameworks{NSA: nsaAuthn},
		}, checkCertificateExpiry),
		contextRule(Kinds, rule.Meta{
			ID:       "node/weak-key",
			Title:    "Certificate with a weak key or signature",
			Severity: finding.Medium,
			Description: `A certificate with an RSA key under 2048 bits, an ECDSA key under 256 bits or a DSA
key can be broken, or forged, by a well-funded attacker (NIST SP 800-131A disallows
them); one signed with SHA-1 or MD5 can be imitated with a chosen-prefix collision.
The signature of a self-signed root is not checked: it is trusted for being in the
trust store, not for its signature. RSA keys under 1024 bits and MD5 signatures are
high.`,
			Remediation: "Reissue the certificate with an RSA key of 2048 bits or more, or ECDSA P-256 or larger, signed with SHA-256 or better (kubeadm: encryptionAlgorithm in ClusterConfiguration, then kubeadm certs renew).",
			Frameworks:  finding.Frameworks{NSA: nsaAuthn, MITRE: "T1600"},
		}, checkWeakKeys),
		contextRule(Kinds, rule.Meta{
			ID:       "node/ca-file-permissions",
			Title:    "CA file writable by others or not owned by root",
			Severity: finding.High,
			Description: `A CA file says whose certificates a component accepts: the API server's and the
kubelet's client CA files decide which client certificates are users, etcd's trusted
CA file decides who may read and write all of the cluster's data. Whoever can replace
one adds a CA of their own and mints certificates for any identity, system:masters
included. A CA file must not be writable by its group or others (mode 0644 or
stricter) and must be owned by root. It may be readable: a certificate is public. The
files are those of every flag ending in ca-file, cafile or certificate-authority (of
the API server, etcd, the controller manager, the kubelet), the kubelet's
authentication.x509.clientCAFile, and the CA certificates (*ca.crt, *ca.pem) of the
PKI directory. The benchmark asks the same of some of them, each checked by its own
rule: CIS 1.1.19 and 1.1.20 (the PKI directory: node/pki-ownership,
node/pki-certificate-permissions), 4.1.7 and 4.1.8 (the kubelet's client CA file:
node/kubelet-client-ca-permissions, node/kubelet-client-ca-ownership).`,
			Remediation: "chmod 644 (or stricter) the CA file and chown root:root it; check that its certificates are the ones meant.",
			Frameworks:  finding.Frameworks{NSA: nsaAuthn, MITRE: mitreValidAcct},
		}, checkCAFilePermissions),
		configRule(rule.Meta{
			ID:       "kubelet/rotate-certificates",
			Title:    "Kubelet does not rotate its client certificate",
			Severity: finding.Medium,
			Description: `With rotateCertificates false the kubelet keeps the client certificate it was given
and asks for no new one: the certificate must be long-lived, or the node leaves the
cluster the day it expires. With it true the kubelet requests a new certificate
(a CertificateSigningRequest) as the old one nears its end. The kubelet's default is
false, with or without a config file; kubeadm writes true. CIS Kubernetes Benchmark
4.2.10.`,
			Remediation: "Set rotateCertificates: true in the kubelet's config file (or drop --rotate-certificates=false) and restart the kubelet.",
			Frameworks:  finding.Frameworks{CIS: "4.2.10", NSA: nsaAuthn},
		}, "rotateCertificates", func(k *KubeletConfig) string {
			if k.RotateCertificates {
				return ""
			}
			return "is false: the kubelet does not renew its client certificate and leaves the cluster when it expires"
		}),
		componentRule(Kubelet, rule.Meta{
			ID:       "kubelet/rotate-server-certificates",
			Title:    "Kubelet serves a certificate the cluster cannot verify or renew",
			Severity: finding.Medium,
			Description: `With serverTLSBootstrap false and no tlsCertFile, the kubelet makes itself a
self-signed serving certificate at start: the API server cannot verify it (so
--kubelet-certificate-authority cannot be used) and it is never renewed. With
serverTLSBootstrap true it asks the cluster for a serving certificate and renews it,
which needs the RotateKubeletServerCertificate feature gate (on by default); turning
the gate off in featureGates stops the renewal. CIS Kubernetes Benchmark 4.2.11.`,
			Remediation: "Set serverTLSBootstrap: true in the kubelet's config file, approve the kubelets' serving CertificateSigningRequests (or run an approver), and keep the RotateKubeletServerCertificate feature gate on; or give the kubelet a tlsCertFile signed by the cluster's CA and renew it.",
			Frameworks:  finding.Frameworks{CIS: "4.2.11", NSA: nsaAuthn, MITRE: "T1557"},
		}, checkRotateServerCertificates),
	)
}

// contextRule makes a rule over the components of kinds whose check reads the rule
// Context (the scan's clock, and what the rules of one scan share) and the host's
// files: it does not run on components read through the API, whose files Moat
// cannot see.
func contextRule(kinds []string, m rule.Meta, check func(ctx *rule.Context, c *Component) []rule.Result) *rule.Rule {
	m.Kinds = nil
	for _, k := range kinds {
		m.Kinds = append(m.Kinds, ObjectKind(k))
	}
	return &rule.Rule{
		Meta: m,
		Object: func(ctx *rule.Context, o *inventory.Object) []rule.Result {
			c, ok := o.Obj.(*Component)
			if !ok || !slices.Contains(kinds, c.Kind) || !c.Host.FilesExamined() {
				return nil
			}
			return check(ctx, c)
		},
		CEL: &rule.CEL{Unexportable: "reads a node's processes and files, not an API object"},
	}
}

// certRecord is one certificate a component uses, or one that could not be read.
type certRecord struct {
	// Component is the kind of the component it is reported on.
	Component string
	File      string
	// Flag names the file where a flag or config field does ("--tls-cert-file",
	// "tlsCertFile"); "" for the PKI directory's and the layout's files.
	Flag string
	// Field is the kubeconfig field the certificate is in
	// ("users[admin].user.client-certificate-data"), "" in a PEM file.
	Field string
	// Index is the certificate's position among those of File (and Field), Count how
	// many there are.
	Index, Count int
	Line         int
	// Cert is nil when the certificate, or the kubeconfig, could not be read; Err says why.
	Cert *x509.Certificate
	Err  string
}

// where names the certificate for messages: the file, the kubeconfig field, and its
// position when the file holds more than one.
func (r *certRecord) where() string {
	s := r.File
	if r.Field != "" {
		s += " (" + r.Field + ")"
	}
	if r.Count > 1 {
		s += fmt.Sprintf(", certificate %d of %d", r.Index+1, r.Count)
	}
	return s
}

// subject names the certificate by its common name, else its whole subject.
func (r *certRecord) subject() string {
	switch {
	case r.Cert.Subject.CommonName != "":
		return "CN=" + r.Cert.Subject.CommonName
	case r.Cert.Subject.String() != "":
		return r.Cert.Subject.String()
	}
	return "(no subject)"
}

func (r *certRecord) source() *finding.Source {
	return &finding.Source{File: r.File, Line: r.Line}
}

// result is a result about the certificate.
func (r *certRecord) result(msg string, sev *finding.Severity) rule.Result {
	return rule.Result{Message: msg, Path: r.Flag, Source: r.source(), Severity: sev}
}

// certsKey is the key of a host's certificates among what the rules of a scan share:
// three rules read them, and they are parsed once.
type certsKey struct{ host *Host }

// componentCerts are the certificates reported on c.
func componentCerts(ctx *rule.Context, c *Component) []certRecord {
	var all []certRecord
	if ctx != nil {
		all = ctx.Shared(certsKey{c.Host}, func() any { return hostCertificates(c.Host) }).([]certRecord)
	} else {
		all = hostCertificates(c.Host)
	}
	var out []certRecord
	for _, r := range all {
		if r.Component == c.Kind {
			out = append(out, r)
		}
	}
	return out
}

// certSource is a file that may hold certificates and the component it is reported on.
type certSource struct {
	path, component, flag string
	kubeconfig            bool
}

// controlPlaneOwner is the component the control plane's shared files (the PKI
// directory, admin.conf) are reported on: the API server, else the first
// control-plane component found.
func controlPlaneOwner(h *Host) string {
	for _, k := range []string{APIServer, ControllerManager, Scheduler, Etcd} {
		if h.Component(k) != nil {
			return k
		}
	}
	return ""
}

// certSources lists the files whose certificates are checked, in the order they are
// claimed: each component's own files first, then the control plane's shared files.
func certSources(h *Host) []certSource {
	var out []certSource
	add := func(p, component, flag string, kubeconfig bool) {
		if p != "" && component != "" {
			out = append(out, certSource{p, component, flag, kubeconfig})
		}
	}
	for _, c := range h.Components {
		for _, name := range c.Flags.Names() {
			if !namesFile(name) || !readsContent(name) {
				continue
			}
			for _, p := range splitList(c.Flags.Value(name)) {
				add(p, c.Kind, "--"+name, isKubeconfigFlag(name))
			}
		}
		switch c.Kind {
		case Kubelet:
			if k := c.Kubelet; k != nil {
				add(k.TLSCertFile, Kubelet, "tlsCertFile", false)
				add(k.Authentication.X509.ClientCAFile, Kubelet, "authentication.x509.clientCAFile", false)
			}
			if h.Layout != nil && !c.Flags.Set("kubeconfig") {
				add(h.Layout.KubeletKubeconfig, Kubelet, "", true)
			}
		case KubeProxy:
			if h.Layout != nil && !c.Flags.Set("kubeconfig") {
				add(h.Layout.ProxyKubeconfig, KubeProxy, "", true)
			}
		}
	}
	cp := controlPlaneOwner(h)
	if cp == "" || h.Layout == nil {
		return out
	}
	if d := h.File(h.Layout.PKI); d != nil {
		for _, p := range d.Entries {
			add(p, cp, "", false)
		}
	}
	add(h.Layout.AdminConf, cp, "", true)
	add(path.Join(path.Dir(h.Layout.AdminConf), "super-admin.conf"), cp, "", true)
	add(h.Layout.SchedulerConf, ownerOr(h, Scheduler, cp), "", true)
	add(h.Layout.ControllerManagerConf, ownerOr(h, ControllerManager, cp), "", true)
	return out
}

// ownerOr is kind when that component runs here, else fallback.
func ownerOr(h *Host, kind, fallback string) string {
	if h.Component(kind) != nil {
		return kind
	}
	return fallback
}

// isKubeconfigFlag says whether a flag names a kubeconfig: --kubeconfig and its
// kin, and the webhook configuration files (kubeconfigs naming the webhook).
func isKubeconfigFlag(name string) bool {
	return strings.HasSuffix(name, "kubeconfig") || strings.HasSuffix(name, "webhook-config-file")
}

// hostCertificates reads every certificate of the host's certificate sources, each
// file once. Files a kubeconfig names are read after the others, on the kubeconfig's
// component, when Load read them.
func hostCertificates(h *Host) []certRecord {
	var out []certRecord
	seen := map[string]bool{}
	queue := certSources(h)
	for i := 0; i < len(queue); i++ {
		s := queue[i]
		p := cleanPath(s.path)
		if !strings.HasPrefix(s.path, "/") || seen[p] {
			continue
		}
		f := h.File(p)
		if f == nil || f.Content == nil || f.Dir {
			continue // not examined, absent, a key, or too large: other rules say so
		}
		seen[p] = true
		if bytes.Contains(f.Content, []byte("-----BEGIN")) {
			out = append(out, pemRecords(s, p, "", f.Content, nil)...)
			continue
		}
		if !s.kubeconfig {
			continue
		}
		recs, refs := kubeconfigCertificates(s, p, f.Content)
		out = append(out, recs...)
		for _, ref := range refs {
			queue = append(queue, certSource{path: ref, component: s.component})
		}
	}
	return out
}

// pemRecords are the certificates of PEM data. fixedLine, when not nil, is the line
// of every certificate (PEM embedded in a kubeconfig field); otherwise each is at the
// line of its BEGIN marker.
func pemRecords(s certSource, file, field string, data []byte, fixedLine *int) []certRecord {
	var out []certRecord
	for _, b := range pemBlocks(data) {
		r := certRecord{Component: s.component, File: file, Flag: s.flag, Field: field, Line: b.line}
		if fixedLine != nil {
			r.Line = *fixedLine
		}
		if cert, err := x509.ParseCertificate(b.der); err != nil {
			r.Err = err.Error()
		} else {
			r.Cert = cert
		}
		out = append(out, r)
	}
	for i := range out {
		out[i].Index, out[i].Count = i, len(out)
	}
	return out
}

type pemBlock struct {
	der  []byte
	line int
}

// pemBlocks are the CERTIFICATE blocks of data with the line each begins on; other
// blocks (a private key beside the certificate) are skipped unread.
func pemBlocks(data []byte) []pemBlock {
	var out []pemBlock
	begin, end := []byte("-----BEGIN"), []byte("-----END")
	rest, offset := data, 0
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			return out
		}
		consumed := rest[:len(rest)-len(next)]
		start := 0
		if e := bytes.LastIndex(consumed, end); e >= 0 {
			start = max(bytes.LastIndex(consumed[:e], begin), 0)
		}
		if block.Type == "CERTIFICATE" {
			out = append(out, pemBlock{der: block.Bytes, line: 1 + bytes.Count(data[:offset+start], []byte("\n"))})
		}
		offset += len(consumed)
		rest = next
	}
}

// kubeconfigCertificates are the certificates embedded in a kubeconfig (clusters'
// certificate-authority-data, users' client-certificate-data), and the files its
// certificate-authority and client-certificate name where no data overrides them,
// relative paths resolved against the kubeconfig's directory as client-go does. A
// kubeconfig that cannot be read is one record saying why.
func kubeconfigCertificates(s certSource, file string, data []byte) ([]certRecord, []string) {
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return []certRecord{{Component: s.component, File: file, Flag: s.flag, Err: "not a kubeconfig client-go can read: " + err.Error()}}, nil
	}
	doc := parseYAMLDoc(data)
	var out []certRecord
	var refs []string
	embedded := func(list, name, section, key string, pemData []byte, ref string) {
		if len(pemData) == 0 {
			if ref != "" {
				refs = append(refs, resolveFrom(file, ref))
			}
			return
		}
		line := doc.namedItemLine(list, name, section, key)
		field := fmt.Sprintf("%s[%s].%s.%s", list, name, section, key)
		recs := pemRecords(s, file, field, pemData, &line)
		if len(recs) == 0 {
			recs = []certRecord{{Component: s.component, File: file, Flag: s.flag, Field: field, Line: line, Err: "no PEM certificate in it"}}
		}
		out = append(out, recs...)
	}
	for _, name := range sortedKeys(cfg.Clusters) {
		if cl := cfg.Clusters[name]; cl != nil {
			embedded("clusters", name, "cluster", "certificate-authority-data", cl.CertificateAuthorityData, cl.CertificateAuthority)
		}
	}
	for _, name := range sortedKeys(cfg.AuthInfos) {
		if u := cfg.AuthInfos[name]; u != nil {
			embedded("users", name, "user", "client-certificate-data", u.ClientCertificateData, u.ClientCertificate)
		}
	}
	return out, refs
}

// resolveFrom resolves a path a file names against the file's directory.
func resolveFrom(file, p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return path.Join(path.Dir(file), p)
}

// namedItemLine is the line of keys beneath the item of list whose name is name
// (kubeconfigs: users[admin].user.client-certificate-data), or of the deepest of
// them found.
func (d yamlDoc) namedItemLine(list, name string, keys ...string) int {
	k, n := mappingEntry(d.root, list)
	if k == nil {
		return 0
	}
	line := k.Line
	if n = sequenceItem(n, name); n == nil {
		return line
	}
	line = n.Line
	for _, key := range keys {
		if k, n = mappingEntry(n, key); k == nil {
			return line
		}
		line = k.Line
	}
	return line
}

func checkCertificateExpiry(ctx *rule.Context, c *Component) []rule.Result {
	var out []rule.Result
	for _, r := range componentCerts(ctx, c) {
		if r.Cert == nil {
			out = append(out, r.result(fmt.Sprintf("certificate in %s could not be read: %s; its expiry is unknown", r.where(), r.Err), severityOf(finding.Info)))
			continue
		}
		if ctx == nil || ctx.Now.IsZero() {
			continue // no clock to compare with
		}
		left := r.Cert.NotAfter.Sub(ctx.Now)
		date := r.Cert.NotAfter.UTC().Format(time.DateOnly)
		switch {
		case left <= 0:
			out = append(out, r.result(fmt.Sprintf("certificate %s in %s expired on %s (%s ago)", r.subject(), r.where(), date, wholeDays(-left)), severityOf(finding.Critical)))
		case left < expiryWarning:
			out = append(out, r.result(fmt.Sprintf("certificate %s in %s expires on %s (in %s)", r.subject(), r.where(), date, wholeDays(left)), nil))
		}
	}
	return out
}

// wholeDays says a duration in whole days.
func wholeDays(d time.Duration) string {
	switch n := int(d / (24 * time.Hour)); n {
	case 0:
		return "less than a day"
	case 1:
		return "1 day"
	default:
		return fmt.Sprintf("%d days", n)
	}
}

func checkWeakKeys(ctx *rule.Context, c *Component) []rule.Result {
	var out []rule.Result
	for _, r := range componentCerts(ctx, c) {
		if r.Cert == nil {
			continue // node/certificate-expiry reports it
		}
		problems, severe := weakness(r.Cert)
		if len(problems) == 0 {
			continue
		}
		var sev *finding.Severity
		if severe {
			sev = severityOf(finding.High)
		}
		out = append(out, r.result(fmt.Sprintf("certificate %s in %s %s", r.subject(), r.where(), strings.Join(problems, " and ")), sev))
	}
	return out
}

// weakness says what is weak in a certificate's key and signature; severe marks what
// is broken outright (RSA under 1024 bits, MD5 or MD2).
func weakness(cert *x509.Certificate) (problems []string, severe bool) {
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			problems = append(problems, fmt.Sprintf("has an RSA key of %d bits (want 2048 or more)", n))
			severe = n < 1024
		}
	case *ecdsa.PublicKey:
		if n := k.Curve.Params().BitSize; n < 256 {
			problems = append(problems, fmt.Sprintf("has an ECDSA key on %s (want P-256 or larger)", k.Curve.Params().Name))
		}
	}
	if cert.PublicKeyAlgorithm == x509.DSA {
		problems = append(problems, "has a DSA key (deprecated, and refused by Go's TLS, hence by Kubernetes)")
	}
	if !isSelfSignedRoot(cert) {
		switch cert.SignatureAlgorithm {
		case x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1:
			problems = append(problems, fmt.Sprintf("is signed with %s (SHA-1 collisions can be made)", cert.SignatureAlgorithm))
		case x509.MD5WithRSA, x509.MD2WithRSA:
			problems = append(problems, fmt.Sprintf("is signed with %s (broken)", cert.SignatureAlgorithm))
			severe = true
		}
	}
	return problems, severe
}

// isSelfSignedRoot says whether a certificate is its own issuer: same subject and
// issuer, and no authority key id naming another key.
func isSelfSignedRoot(cert *x509.Certificate) bool {
	if !bytes.Equal(cert.RawIssuer, cert.RawSubject) {
		return false
	}
	return len(cert.AuthorityKeyId) == 0 || bytes.Equal(cert.AuthorityKeyId, cert.SubjectKeyId)
}

// caFileRef is a CA file a component trusts and what names it.
type caFileRef struct {
	path, component, field string
}

// caFiles are the CA files of the host, each once, on the first component that trusts it.
func caFiles(h *Host) []caFileRef {
	var out []caFileRef
	seen := map[string]bool{}
	add := func(p, component, field string) {
		if !strings.HasPrefix(p, "/") || seen[cleanPath(p)] {
			return
		}
		seen[cleanPath(p)] = true
		out = append(out, caFileRef{cleanPath(p), component, field})
	}
	for _, c := range h.Components {
		for _, name := range c.Flags.Names() {
			if isCAFlag(name) {
				for _, p := range splitList(c.Flags.Value(name)) {
					add(p, c.Kind, "--"+name)
				}
			}
		}
		if c.Kind == Kubelet && c.Kubelet != nil {
			add(c.Kubelet.Authentication.X509.ClientCAFile, Kubelet, "authentication.x509.clientCAFile")
		}
	}
	if cp := controlPlaneOwner(h); cp != "" && h.Layout != nil {
		if d := h.File(h.Layout.PKI); d != nil {
			for _, p := range d.Entries {
				if base := path.Base(p); strings.HasSuffix(base, "ca.crt") || strings.HasSuffix(base, "ca.pem") {
					add(p, cp, "")
				}
			}
		}
	}
	return out
}

// isCAFlag says whether a flag names a file of CA certificates the component trusts.
func isCAFlag(name string) bool {
	return strings.HasSuffix(name, "ca-file") || strings.HasSuffix(name, "cafile") || strings.HasSuffix(name, "certificate-authority")
}

func checkCAFilePermissions(_ *rule.Context, c *Component) []rule.Result {
	var out []rule.Result
	for _, ca := range caFiles(c.Host) {
		if ca.component != c.Kind {
			continue
		}
		f := c.Host.File(ca.path)
		if f == nil || !f.Exists || f.Dir {
			continue // not examined or absent: other rules say so
		}
		var wrong []string
		if w := writableBy(f); w != "" {
			wrong = append(wrong, fmt.Sprintf("writable by %s (mode %04o; want 0644 or stricter)", w, f.Mode.Perm()))
		}
		if f.UID != 0 {
			wrong = append(wrong, fmt.Sprintf("owned by %s (want root)", c.Host.Owner(f)))
		}
		if len(wrong) == 0 {
			continue
		}
		named := ""
		if ca.field != "" {
			named = " (" + ca.field + ")"
		}
		out = append(out, rule.Result{
			Message: fmt.Sprintf("CA file %s%s is %s: whoever can replace it can mint certificates the %s accepts", f.Path, named, strings.Join(wrong, " and "), c.Kind),
			Path:    ca.field,
			Source:  &finding.Source{File: f.Path},
		})
	}
	return out
}

// writableBy says who beyond the owner may write f: "its group", "others", "its group
// and others", or "".
func writableBy(f *File) string {
	g, o := f.Mode.Perm()&0o020 != 0, f.Mode.Perm()&0o002 != 0
	switch {
	case g && o:
		return "its group and others"
	case g:
		return "its group"
	case o:
		return "others"
	}
	return ""
}

// serverCertGate is the feature gate the kubelet's serving certificate renewal needs.
const serverCertGate = "RotateKubeletServerCertificate"

// checkRotateServerCertificates is configRule's check over two fields: the feature
// gate when it is turned off, else serverTLSBootstrap.
func checkRotateServerCertificates(c *Component) []rule.Result {
	k := c.Kubelet
	if k == nil || len(k.Errors) > 0 {
		return nil // not read: Inventory reports why
	}
	if on, set := k.FeatureGates[serverCertGate]; set && !on {
		where, src := k.Where("featureGates", c)
		return []rule.Result{{
			Message: fmt.Sprintf("featureGates.%s: is false: the kubelet never renews its serving certificate (%s)", serverCertGate, where),
			Path:    "featureGates." + serverCertGate,
			Source:  src,
		}}
	}
	if k.ServerTLSBootstrap || k.TLSCertFile != "" {
		return nil
	}
	where, src := k.Where("serverTLSBootstrap", c)
	return []rule.Result{{
		Message: fmt.Sprintf("serverTLSBootstrap: is false and no tlsCertFile is set: the kubelet serves a self-signed certificate that the API server cannot verify and nothing renews (%s)", where),
		Path:    "serverTLSBootstrap",
		Source:  src,
	}}
}
