package generate

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/podspec"
)

// DNS is where pods resolve names: kube-dns in kube-system.
var (
	dnsNamespace = "kube-system"
	dnsLabels    = map[string]string{"k8s-app": "kube-dns"}
)

type service struct {
	ns, name string
	ports    []corev1.ServicePort
	backends []*reach.Workload
	obj      *corev1.Service
	// selectorless Services (ExternalName, manual Endpoints) have no backends we know.
	selectorless bool
}

func (s *service) ref() string { return s.ns + "/" + s.name }

// reference is one string a workload carries, with where it came from.
type reference struct {
	key, value, where string
}

var (
	tokenRE = regexp.MustCompile(`[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?`)
	hostKey = regexp.MustCompile(`(?i)(host|addr|server|endpoint|url|uri|service|svc|dsn|broker|upstream|backend)`)
	// schemeRE is the URL scheme right before "://".
	schemeRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*)://(?:[^/@\s]*@)?$`)
	tldRE    = regexp.MustCompile(`^[A-Za-z]{2,24}$`)
	// notADestination are keys whose URLs are not connected to: browsers' origins and
	// the addresses clients are sent back to.
	notADestination = regexp.MustCompile(`(?i)(origin|cors|redirect|callback)`)
)

// schemePorts are the default ports of URL schemes whose host may be outside the cluster.
var schemePorts = map[string]int32{
	"http": 80, "https": 443, "ws": 80, "wss": 443, "git": 9418, "ssh": 22, "git+ssh": 22,
	"amqp": 5672, "amqps": 5671, "redis": 6379, "rediss": 6379, "postgres": 5432,
	"postgresql": 5432, "mysql": 3306, "mongodb": 27017, "ldap": 389, "ldaps": 636,
	"smtp": 25, "smtps": 465, "nats": 4222, "kafka": 9092, "ftp": 21, "sftp": 22,
}

// services indexes the Services and the workloads behind them.
func (g *gen) services() {
	g.byNS = map[string]*service{}
	for _, o := range g.inv.Kind("Service") {
		s, ok := o.Obj.(*corev1.Service)
		if !ok {
			continue
		}
		sv := &service{ns: o.EffectiveNamespace(), name: s.Name, ports: s.Spec.Ports, obj: s}
		g.byNS[sv.ref()] = sv
		if len(s.Spec.Selector) == 0 {
			sv.selectorless = true
			continue
		}
		sel := labels.SelectorFromSet(s.Spec.Selector)
		for _, w := range g.m.Workloads {
			if w.Namespace == sv.ns && sel.Matches(labels.Set(w.Labels)) {
				sv.backends = append(sv.backends, w)
			}
		}
		g.svcs = append(g.svcs, sv)
	}
}

// referenceFlows finds the Services and outside hosts each workload names.
func (g *gen) referenceFlows() {
	byHost := map[string][]*service{} // every DNS form of a Service name
	for _, s := range g.byNS {
		for _, h := range []string{s.name + "." + s.ns, s.name + "." + s.ns + ".svc", s.name + "." + s.ns + ".svc.cluster.local"} {
			byHost[h] = append(byHost[h], s)
		}
	}
	for _, w := range g.m.Workloads {
		if w.Namespace == dnsNamespace {
			continue
		}
		for _, ref := range g.references(w) {
			for _, tok := range tokenRE.FindAllStringIndex(ref.value, -1) {
				text := ref.value[tok[0]:tok[1]]
				host, portS, hasPort := strings.Cut(text, ":")
				host = strings.ToLower(strings.TrimSuffix(host, "."))
				port := 0
				if hasPort {
					port, _ = strconv.Atoi(portS)
				}
				targets := byHost[host]
				if _, rest, ok := strings.Cut(host, "."); targets == nil && ok {
					targets = byHost[rest] // a pod of a headless Service: postgres-0.postgres.shop.svc
				}
				before := ref.value[:tok[0]]
				urlish := strings.HasSuffix(before, "://") || strings.HasSuffix(before, "@")
				if targets == nil && !strings.Contains(host, ".") {
					whole := strings.TrimSpace(ref.value) == text && hostKey.MatchString(ref.key)
					if hasPort || urlish || whole {
						if s := g.byNS[w.Namespace+"/"+host]; s != nil {
							targets = []*service{s}
						}
					}
				}
				if targets == nil {
					if g.genEg[w.Namespace] && !notADestination.MatchString(ref.key) {
						g.outsideReference(w, host, port, hasPort, before, ref.where)
					}
					continue
				}
				for _, s := range targets {
					if s.selectorless {
						if !g.genEg[w.Namespace] {
							continue
						}
						if s.obj.Spec.Type == corev1.ServiceTypeExternalName && s.obj.Spec.ExternalName != "" {
							// The pods connect to the external name, on the Service's port.
							for _, sp := range s.ports {
								if port == 0 || int(sp.Port) == port {
									g.outsideReference(w, strings.ToLower(s.obj.Spec.ExternalName), int(sp.Port), true, "", fmt.Sprintf("ExternalName Service %s referenced in %s", s.ref(), ref.where))
								}
							}
							continue
						}
						g.warn("%s calls Service %s (%s), which has no selector (ExternalName or hand-written Endpoints): its destination is not known and is not allowed.", w.Ref(), s.ref(), ref.where)
						continue
					}
					g.serviceFlows(w.Ref(), s, int32(port), "", fmt.Sprintf("Service %s referenced in %s", s.ref(), ref.where))
				}
			}
		}
	}
}

// outsideReference handles a token that names no Service of the inputs: a host outside
// the cluster by URL or host:port gets egress on its port (to its address when it is
// one, to any address otherwise); a cluster name (NAME.NS.svc, or NAME.NS for a
// namespace of the inputs) of a Service that is not in the inputs is a warning.
func (g *gen) outsideReference(w *reach.Workload, host string, port int, hasPort bool, before, where string) {
	if !strings.Contains(host, ".") {
		return
	}
	labelsOf := strings.Split(host, ".")
	last := labelsOf[len(labelsOf)-1]
	if strings.HasSuffix(host, ".svc") || strings.HasSuffix(host, ".svc.cluster.local") || (len(labelsOf) == 2 && g.m.Namespaces[last] != nil) {
		if hasPort || strings.HasSuffix(before, "://") {
			g.warn("%s names %s (%s), a Service that is not in the inputs: not allowed.", w.Ref(), host, where)
		}
		return
	}
	if last == "local" {
		return // mDNS, or cluster.local of a cluster domain we do not know
	}
	m := schemeRE.FindStringSubmatch(before)
	addr, addrErr := netip.ParseAddr(host)
	isIP := addrErr == nil && addr.Is4() && (addr.IsGlobalUnicast() || addr.IsPrivate()) && !addr.IsLinkLocalUnicast()
	if addrErr == nil && !isIP {
		return // 0.0.0.0:8080 is a listen address; loopback and link-local are not destinations
	}
	if m == nil && !(hasPort && (isIP || tldRE.MatchString(last))) {
		return // not clearly a host: a file name, a version, a key
	}
	if !isIP && !tldRE.MatchString(last) {
		return
	}
	p := int32(port)
	if !hasPort && m != nil {
		p = schemePorts[strings.ToLower(m[1])]
	}
	if p == 0 {
		g.warn("%s connects to %s (%s), a host outside the cluster, on a port that is not known: not allowed.", w.Ref(), host, where)
		return
	}
	dst := Internet
	if isIP {
		dst = reach.Endpoint{IPBlock: netip.PrefixFrom(addr, 32).String()}
	} else {
		g.warn("%s connects to %s on TCP/%d (%s): a name outside the cluster, whose addresses are not known; the generated rule allows TCP/%d to any address but link-local.", w.Ref(), host, p, where, p)
	}
	g.addFlow(w.Ref(), dst, reach.Port(reach.TCP, p), fmt.Sprintf("%s:%d named in %s", host, p, where))
}

// serviceFlows adds src → each backend of s on the target ports of the Service port
// named by number or name (every port of the Service when both are zero).
// It reports whether the Service has such a port.
func (g *gen) serviceFlows(src reach.Endpoint, s *service, port int32, portName, why string) bool {
	found := false
	for _, sp := range s.ports {
		if (port != 0 && sp.Port != port) || (portName != "" && sp.Name != portName) {
			continue
		}
		found = true
		for _, b := range s.backends {
			if b.Ref() == src && b.Kind != "StatefulSet" {
				continue // a workload naming its own Service; StatefulSet members do talk to each other
			}
			g.addFlow(src, b.Ref(), targetPort(sp, b), why)
		}
	}
	return found
}

// targetPort resolves a Service port against a backend's container ports.
func targetPort(sp corev1.ServicePort, b *reach.Workload) reach.PortSet {
	proto, err := reach.ParseProtocol(string(sp.Protocol))
	if err != nil {
		return reach.PortSet{}
	}
	var num int32
	switch t := sp.TargetPort; {
	case t.Type == intstr.String && t.StrVal != "":
		for _, cp := range b.Ports {
			if cp.Name == t.StrVal && cp.Protocol == proto {
				num = cp.Port
			}
		}
	case t.IntVal != 0:
		num = t.IntVal
	default:
		num = sp.Port
	}
	if num == 0 {
		return reach.PortSet{}
	}
	return reach.Port(proto, num)
}

// references are the strings of a workload's pod spec that may name a Service: env
// values, args and commands, and the data of the ConfigMaps it reads.
func (g *gen) references(w *reach.Workload) []reference {
	pod, ok := podspec.Of(w.Obj)
	if !ok {
		return nil
	}
	var out []reference
	cm := func(name string, optional *bool) map[string]string {
		o := g.inv.Find("ConfigMap", w.Namespace, name)
		if o == nil {
			if optional == nil || !*optional {
				g.warn("%s reads ConfigMap %s/%s, which is not in the inputs: the Services it may name are not known.", w.Ref(), w.Namespace, name)
			}
			return nil
		}
		c, ok := o.Obj.(*corev1.ConfigMap)
		if !ok {
			return nil
		}
		return c.Data
	}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for _, e := range c.Env {
				if e.Value != "" {
					out = append(out, reference{e.Name, e.Value, fmt.Sprintf("env %s of container %q", e.Name, c.Name)})
				}
				if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
					r := e.ValueFrom.ConfigMapKeyRef
					if v, ok := cm(r.Name, r.Optional)[r.Key]; ok {
						out = append(out, reference{e.Name, v, fmt.Sprintf("ConfigMap %s key %s (env %s of container %q)", r.Name, r.Key, e.Name, c.Name)})
					}
				}
			}
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef == nil {
					continue
				}
				data := cm(ef.ConfigMapRef.Name, ef.ConfigMapRef.Optional)
				for _, k := range sortedKeys(data) {
					out = append(out, reference{ef.Prefix + k, data[k], fmt.Sprintf("ConfigMap %s key %s (envFrom of container %q)", ef.ConfigMapRef.Name, k, c.Name)})
				}
			}
			for i, a := range slices.Concat(c.Command, c.Args) {
				out = append(out, reference{"", a, fmt.Sprintf("argument %d of container %q", i, c.Name)})
			}
		}
	}
	for _, v := range pod.Spec.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		data := cm(v.ConfigMap.Name, v.ConfigMap.Optional)
		for _, k := range sortedKeys(data) {
			// A config file: every line is a reference, so "host: postgres" counts.
			for _, line := range strings.Split(data[k], "\n") {
				key, val, ok := strings.Cut(line, ":")
				if ok && strings.HasPrefix(val, "//") {
					key, val = "", line // a URL on its own line
				}
				if !ok {
					key, val, ok = strings.Cut(line, "=")
				}
				if !ok {
					key, val = "", line
				}
				out = append(out, reference{strings.TrimSpace(key), strings.Trim(strings.TrimSpace(val), `"'`), fmt.Sprintf("ConfigMap %s key %s (volume %s)", v.ConfigMap.Name, k, v.Name)})
			}
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// dnsFlows adds every workload's lookups to kube-dns (when kube-dns is in the inputs).
func (g *gen) dnsFlows() {
	var dns []*reach.Workload
	for _, w := range g.m.Workloads {
		if isDNS(w) {
			dns = append(dns, w)
		}
	}
	for _, w := range g.m.Workloads {
		if w.Namespace == dnsNamespace {
			continue
		}
		for _, d := range dns {
			g.addFlow(w.Ref(), d.Ref(), reach.Port(reach.UDP, 53).Union(reach.Port(reach.TCP, 53)), "DNS lookups")
		}
	}
}

func isDNS(w *reach.Workload) bool {
	return w != nil && w.Namespace == dnsNamespace && labels.SelectorFromSet(dnsLabels).Matches(labels.Set(w.Labels))
}

// hostNetworkWarnings names the workloads on the host network: NetworkPolicies do not
// apply to them, and what they open to pods comes from node addresses.
func (g *gen) hostNetworkWarnings() {
	for _, o := range g.inv.Objects {
		p, ok := podspec.Of(o)
		if !ok || !p.Spec.HostNetwork || o.Kind() == "PodTemplate" || o.EffectiveNamespace() == dnsNamespace || len(g.p.Namespaces) == 0 {
			continue
		}
		g.warn("%s/%s/%s runs on the host network: its connections to pods come from node addresses, which the generated policies do not admit (add an ipBlock of your nodes where it needs them).", o.EffectiveNamespace(), o.Kind(), o.Name())
	}
}
