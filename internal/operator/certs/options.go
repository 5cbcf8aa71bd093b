package certs

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Defaults of Options, those of the operator's flags.
const (
	DefaultValidity    = 2160 * time.Hour // 90 days
	DefaultRenewBefore = 720 * time.Hour  // 30 days
	// DefaultGrace is how long a change takes to reach every reader: the kubelet
	// refreshes a mounted Secret within about a minute, the API server reloads a
	// webhook configuration within seconds.
	DefaultGrace = 2 * time.Minute
)

// caLifetimes is how many serving lifetimes a CA lives.
const caLifetimes = 10

// Options say which objects the Rotator keeps and how long certificates live.
type Options struct {
	Secret   types.NamespacedName // kubernetes.io/tls Secret: tls.crt, tls.key, ca.crt (and ca.key)
	Service  types.NamespacedName // DNS names: NAME.NS.svc, NAME.NS.svc.cluster.local, NAME.NS, NAME
	Webhooks []string             // ValidatingWebhookConfiguration names whose every webhook's clientConfig.caBundle is written

	Validity    time.Duration // serving certificate lifetime (CA: 10x); 0 means DefaultValidity
	RenewBefore time.Duration // renew a certificate this long before it expires; 0 means DefaultRenewBefore
	// Grace is how long a change of the Secret or of a caBundle takes to reach every
	// reader; it must be at most half of RenewBefore. 0 means DefaultGrace.
	Grace time.Duration
	// ExtraSANs are more DNS names or IP addresses for the serving certificate: a
	// webhook reached by URL (clientConfig.url) is checked against the URL's host.
	ExtraSANs []string

	Now    func() time.Time // time.Now when nil
	Logger *slog.Logger     // slog.Default() when nil
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	if o.Validity == 0 {
		o.Validity = DefaultValidity
	}
	if o.RenewBefore == 0 {
		o.RenewBefore = DefaultRenewBefore
	}
	if o.Grace == 0 {
		o.Grace = DefaultGrace
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Validate reports what makes the options unusable, naming the field. Zero durations
// are taken as their defaults.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	for _, f := range []struct {
		field string
		name  types.NamespacedName
	}{{"Secret", o.Secret}, {"Service", o.Service}} {
		if f.name.Namespace == "" || f.name.Name == "" {
			errs = append(errs, fmt.Errorf("%s: want NAMESPACE/NAME, got %q", f.field, f.name.String()))
		}
	}
	for _, w := range o.Webhooks {
		if w == "" {
			errs = append(errs, errors.New("Webhooks: an empty name"))
		}
	}
	switch {
	case o.Validity < 0 || o.RenewBefore < 0 || o.Grace < 0:
		errs = append(errs, fmt.Errorf("Validity %s, RenewBefore %s, Grace %s: durations must be positive", o.Validity, o.RenewBefore, o.Grace))
	case o.RenewBefore >= o.Validity:
		errs = append(errs, fmt.Errorf("RenewBefore %s: must be shorter than Validity %s", o.RenewBefore, o.Validity))
	case o.RenewBefore < 2*o.Grace:
		// A renewal that waits for a new CA to spread (one grace) and is then served by
		// every pod (another) must finish before the old certificate expires.
		errs = append(errs, fmt.Errorf("RenewBefore %s: must be at least twice Grace %s", o.RenewBefore, o.Grace))
	}
	for _, san := range o.ExtraSANs {
		if net.ParseIP(san) != nil {
			continue
		}
		if msgs := validation.IsDNS1123Subdomain(strings.TrimPrefix(san, "*.")); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("ExtraSANs: %q is neither an IP address nor a DNS name: %s", san, strings.Join(msgs, "; ")))
		}
	}
	return errors.Join(errs...)
}

// names are the subject alternative names of the serving certificate, DNS names
// sorted and IP addresses in canonical form, sorted; and its common name.
type names struct {
	dns    []string
	ips    []string
	common string
}

func (o Options) names() names {
	svc, ns := o.Service.Name, o.Service.Namespace
	n := names{dns: []string{svc + "." + ns + ".svc", svc + "." + ns + ".svc.cluster.local", svc + "." + ns, svc},
		common: svc + "." + ns + ".svc"}
	for _, san := range o.ExtraSANs {
		if ip := net.ParseIP(san); ip != nil {
			n.ips = append(n.ips, ip.String())
		} else {
			n.dns = append(n.dns, strings.ToLower(san))
		}
	}
	slices.Sort(n.dns)
	slices.Sort(n.ips)
	n.dns, n.ips = slices.Compact(n.dns), slices.Compact(n.ips)
	return n
}

// netIPs is ips parsed.
func (n names) netIPs() []net.IP {
	out := make([]net.IP, 0, len(n.ips))
	for _, s := range n.ips {
		out = append(out, net.ParseIP(s))
	}
	return out
}

// ParseNamespacedName reads a NAMESPACE/NAME flag value such as --webhook-secret.
func ParseNamespacedName(s string) (types.NamespacedName, error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return types.NamespacedName{}, fmt.Errorf("%q: want NAMESPACE/NAME", s)
	}
	for _, part := range []string{ns, name} {
		if msgs := validation.IsDNS1123Subdomain(part); len(msgs) > 0 {
			return types.NamespacedName{}, fmt.Errorf("%q: %q: %s", s, part, strings.Join(msgs, "; "))
		}
	}
	return types.NamespacedName{Namespace: ns, Name: name}, nil
}
