package generate

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/golden"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/reach"
)

func load(t *testing.T, files ...string) *inventory.Inventory {
	t.Helper()
	inv := inventory.Load(files, inventory.Options{})
	if len(inv.Errors) > 0 {
		t.Fatal(inv.Errors)
	}
	return inv
}

func flowStrings(fs []Flow) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Src.String()+" -> "+f.Dst.String()+" "+f.Ports.String())
	}
	return out
}

// apply returns the inventory after applying the plan: the generated policies added to
// the inputs, whose NetworkPolicies are dropped when narrow (the generated ones replace them).
func apply(t *testing.T, inv *inventory.Inventory, p *Plan, narrow bool) *inventory.Inventory {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteYAML(&buf, p); err != nil {
		t.Fatal(err)
	}
	objs, errs := inventory.Decode(&buf, "generated.yaml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	kept := slices.Clone(inv.Objects)
	if narrow {
		kept = slices.DeleteFunc(kept, func(o *inventory.Object) bool { return o.Kind() == "NetworkPolicy" })
	}
	return inventory.NewInventory(append(kept, objs...))
}

// The inferred flows of the fixture: env URL, ConfigMap host key, ConfigMap URL to
// another namespace, an argument host:port, a config file in a ConfigMap volume, DNS,
// an SMTP host outside the cluster, and the API server for every workload (their
// tokens are mounted). "USER=api" and "DB_USER=api" are not references: a bare name
// counts only as a URL host, host:port, or the whole value of a host-like key.
func TestInfer(t *testing.T) {
	p := Infer(load(t, "testdata/roundtrip.yaml"))
	want := []string{
		"queue/StatefulSet/rabbitmq -> kube-apiserver TCP/443,TCP/6443",
		"queue/StatefulSet/rabbitmq -> kube-system/Deployment/coredns TCP/53,UDP/53",
		"shop/CronJob/report -> 0.0.0.0/0 TCP/25",
		"shop/CronJob/report -> kube-apiserver TCP/443,TCP/6443",
		"shop/CronJob/report -> kube-system/Deployment/coredns TCP/53,UDP/53",
		"shop/CronJob/report -> shop/StatefulSet/db TCP/5432",
		"shop/Deployment/api -> kube-apiserver TCP/443,TCP/6443",
		"shop/Deployment/api -> kube-system/Deployment/coredns TCP/53,UDP/53",
		"shop/Deployment/api -> queue/StatefulSet/rabbitmq TCP/5672",
		"shop/Deployment/api -> shop/Deployment/redis TCP/6379",
		"shop/Deployment/api -> shop/StatefulSet/db TCP/5432",
		"shop/Deployment/redis -> kube-apiserver TCP/443,TCP/6443",
		"shop/Deployment/redis -> kube-system/Deployment/coredns TCP/53,UDP/53",
		"shop/Deployment/web -> kube-apiserver TCP/443,TCP/6443",
		"shop/Deployment/web -> kube-system/Deployment/coredns TCP/53,UDP/53",
		"shop/Deployment/web -> shop/Deployment/api TCP/8080",
		"shop/StatefulSet/db -> kube-apiserver TCP/443,TCP/6443",
		"shop/StatefulSet/db -> kube-system/Deployment/coredns TCP/53,UDP/53",
	}
	if got := flowStrings(p.Flows); !slices.Equal(got, want) {
		t.Errorf("flows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(p.Namespaces, []string{"queue", "shop"}) {
		t.Errorf("namespaces %v, want queue and shop (kube-system is left alone)", p.Namespaces)
	}
}

// expected computes, from the plan alone, what a workload may open to another once
// the generated policies are applied (with Narrow, or on inputs without policies):
// where the plan isolates the source's egress, only its flows to the destination;
// where it isolates the destination's ingress, only the flows into it from the source,
// from any pod or from anywhere. ipBlocks never match pods from files.
func expected(p *Plan, src, dst reach.Endpoint) reach.PortSet {
	isolated := func(ns string, egress bool) bool {
		for _, np := range p.Policies {
			if np.Namespace == ns && np.Name == "default-deny" {
				for _, t := range np.Spec.PolicyTypes {
					if (t == "Egress") == egress {
						return true
					}
				}
			}
		}
		return false
	}
	eg, in := reach.AllPorts(), reach.AllPorts()
	if isolated(src.Namespace, true) {
		eg = reach.PortSet{}
		if src.Namespace != "" { // not the probe pod
			for _, f := range p.Flows {
				if f.Src == src && f.Dst == dst {
					eg = eg.Union(f.Ports)
				}
			}
		}
	}
	if isolated(dst.Namespace, false) {
		in = reach.PortSet{}
		for _, f := range p.Flows {
			if f.Dst == dst && (f.Src == src || f.Src == AnyPod || f.Src == Anywhere) {
				in = in.Union(f.Ports)
			}
		}
	}
	return eg.Intersect(in)
}

// Applying the generated policies to inputs without policies of their own (or with
// Narrow, in place of them) and computing the connections again gives, between
// workloads, exactly what the plan says: its flows where it isolates both ends, plus
// what its "from any pod" and "from anywhere" rules admit from ends it leaves open.
func TestRoundTrip(t *testing.T) {
	for _, file := range []string{
		"testdata/roundtrip.yaml", "../../../examples/shop/manifests",
		"testdata/gitops.yaml", "testdata/policy-engine.yaml", "testdata/ingress-controller.yaml",
	} {
		t.Run(file, func(t *testing.T) {
			files := []string{file}
			if file != "testdata/roundtrip.yaml" { // which has its own kube-dns
				files = append(files, "testdata/kube-system.yaml")
			}
			inv := load(t, files...)
			p := InferWith(inv, Options{Narrow: true})
			if len(p.Flows) < 2 {
				t.Fatalf("only %d flows inferred", len(p.Flows))
			}
			a := reach.Analyze(reach.FromInventory(apply(t, inv, p, true)), reach.Options{})
			var got, want []string
			for _, c := range a.Connections() {
				if !c.Src.IsExternal() && !c.Dst.IsExternal() {
					got = append(got, c.Src.String()+" -> "+c.Dst.String()+" "+c.Ports.String())
				}
			}
			for _, s := range a.Model.Workloads {
				for _, d := range a.Model.Workloads {
					if ps := expected(p, s.Ref(), d.Ref()); !ps.IsEmpty() {
						want = append(want, s.Ref().String()+" -> "+d.Ref().String()+" "+ps.String())
					}
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("connections after applying:\n%s\nexpected from the plan:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// conn is a connection a test asks about. Ends are "NS/KIND/NAME", "pod" (a pod of a
// namespace not in the inputs), or an IP address outside the cluster. The API server
// has no address in files: any address stands for it.
type conn struct {
	src, dst, port string
}

func (c conn) String() string { return c.src + " -> " + c.dst + " " + c.port }

const (
	internet = "203.0.113.7" // a client or server on the internet
	apiAddr  = "192.0.2.10"  // where the API server's endpoints might be
	metadata = "169.254.169.254"
)

func allowed(t *testing.T, a *reach.Analysis, c conn) bool {
	t.Helper()
	index := func(s string) int {
		if s == "pod" {
			return a.Probe()
		}
		var e reach.Endpoint
		if _, err := netip.ParseAddr(s); err == nil {
			e.IPBlock = s
		} else if parts := strings.Split(s, "/"); len(parts) == 3 {
			e = reach.Endpoint{Namespace: parts[0], Kind: parts[1], Name: parts[2]}
		}
		i := a.Index(e)
		if i < 0 {
			t.Fatalf("%s: unknown endpoint %q", c, s)
		}
		return i
	}
	proto, port, ok := strings.Cut(c.port, "/")
	n, err := strconv.Atoi(port)
	if !ok || err != nil {
		t.Fatalf("bad port %q", c.port)
	}
	pr, err := reach.ParseProtocol(proto)
	if err != nil {
		t.Fatal(err)
	}
	return a.Ports(index(c.src), index(c.dst)).Has(pr, int32(n))
}

// operatorCase is a round trip on operator-shaped fixtures: every connection in need
// is allowed after applying the generated policies, every one in deny is not.
type operatorCase struct {
	files []string
	need  []conn
	deny  []conn
	// needDefault are needed only without Narrow (the inputs' policies allow them by
	// naming their peer); with Narrow they are replaced by what is inferred.
	needDefault []conn
}

var (
	gitopsController = "gitops/StatefulSet/gitops-application-controller"
	gitopsServer     = "gitops/Deployment/gitops-server"
	gitopsRepo       = "gitops/Deployment/gitops-repo-server"
	gitopsRedis      = "gitops/Deployment/gitops-redis"
	admission        = "policy/Deployment/policy-admission-controller"
	reports          = "policy/Deployment/policy-reports-controller"
	reportsServer    = "policy/Deployment/policy-reports-server"
	controller       = "ingress/Deployment/ingress-controller"
	certCreate       = "ingress/Job/ingress-admission-create"
	certPatch        = "ingress/Job/ingress-admission-patch"
	echo             = "demo/Deployment/echo"
	prometheus       = "monitoring/Deployment/prometheus"
	coredns          = "kube-system/Deployment/coredns"
)

var gitopsNeed = []conn{
	{gitopsController, gitopsRepo, "TCP/8081"},
	{gitopsController, gitopsRedis, "TCP/6379"},
	{gitopsServer, gitopsRepo, "TCP/8081"},
	{gitopsServer, gitopsRedis, "TCP/6379"},
	{gitopsController, apiAddr, "TCP/443"},
	{gitopsController, apiAddr, "TCP/6443"},
	{gitopsServer, apiAddr, "TCP/6443"},
	{gitopsRepo, internet, "TCP/443"}, // git.example.com
	{gitopsRepo, coredns, "UDP/53"},
	{gitopsRedis, coredns, "TCP/53"},
}

var gitopsDeny = []conn{
	{gitopsRedis, apiAddr, "TCP/6443"}, // its service account mounts no token
	{gitopsRepo, apiAddr, "TCP/6443"},  // the pod mounts no token
	{gitopsRepo, gitopsRedis, "TCP/6379"},
	{gitopsRepo, gitopsController, "TCP/8082"},
	{gitopsServer, gitopsController, "TCP/8082"},
	{"pod", gitopsRedis, "TCP/6379"},
	{"pod", gitopsRepo, "TCP/8081"},
	{internet, gitopsServer, "TCP/8080"}, // only through the ingress controller
	{gitopsController, metadata, "TCP/80"},
	{gitopsRedis, internet, "TCP/443"},
}

var policyNeed = []conn{
	{internet, admission, "TCP/9443"}, // the API server calls the webhooks
	{"pod", admission, "TCP/9443"},
	{internet, reportsServer, "TCP/4443"}, // and the aggregated API
	{admission, apiAddr, "TCP/6443"},
	{reports, apiAddr, "TCP/6443"},
	{reportsServer, apiAddr, "TCP/6443"},
	{reports, coredns, "UDP/53"},
}

var policyDeny = []conn{
	{internet, admission, "TCP/8000"},
	{internet, reports, "TCP/8000"},
	{"pod", reportsServer, "TCP/8000"},
	{reports, admission, "TCP/9443"},
	{admission, reportsServer, "TCP/4443"},
	{reports, internet, "TCP/80"},
}

var ingressNeed = []conn{
	{internet, controller, "TCP/80"},
	{internet, controller, "TCP/443"},
	{internet, controller, "TCP/8443"}, // the webhook the project's policy forgot
	{controller, echo, "TCP/8080"},
	{controller, apiAddr, "TCP/6443"},
	{certCreate, apiAddr, "TCP/6443"},
	{certPatch, apiAddr, "TCP/443"},
	{certPatch, coredns, "UDP/53"},
	{prometheus, apiAddr, "TCP/6443"},
}

var ingressDeny = []conn{
	{internet, echo, "TCP/8080"},
	{"pod", echo, "TCP/8080"},
	{certCreate, echo, "TCP/8080"},
	{echo, controller, "TCP/10254"},
	{internet, controller, "TCP/10254"},
	{echo, apiAddr, "TCP/6443"},
	{certCreate, internet, "TCP/80"},
	{prometheus, echo, "TCP/8080"},
}

func TestOperators(t *testing.T) {
	cases := map[string]operatorCase{
		"gitops": {
			files: []string{"testdata/gitops.yaml"},
			// No ingress controller in the inputs: the UI admits any pod.
			need: append(slices.Clip(gitopsNeed), conn{"pod", gitopsServer, "TCP/8080"}),
			deny: gitopsDeny,
		},
		"policy-engine": {files: []string{"testdata/policy-engine.yaml"}, need: policyNeed, deny: policyDeny},
		"ingress-controller": {
			files:       []string{"testdata/ingress-controller.yaml"},
			need:        ingressNeed,
			deny:        ingressDeny,
			needDefault: []conn{{prometheus, controller, "TCP/10254"}},
		},
		"all": {
			files: []string{"testdata/gitops.yaml", "testdata/policy-engine.yaml", "testdata/ingress-controller.yaml"},
			// The ingress controller is in the inputs: the UI admits it, not any pod.
			need: slices.Concat(gitopsNeed, policyNeed, ingressNeed, []conn{{controller, gitopsServer, "TCP/8080"}}),
			deny: slices.Concat(gitopsDeny, policyDeny, ingressDeny, []conn{
				{"pod", gitopsServer, "TCP/8080"},
				{echo, gitopsServer, "TCP/8080"},
				{gitopsServer, echo, "TCP/8080"},
				{admission, gitopsRedis, "TCP/6379"},
			}),
			needDefault: []conn{{prometheus, controller, "TCP/10254"}},
		},
	}
	for name, tc := range cases {
		for _, narrow := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/narrow=%v", name, narrow), func(t *testing.T) {
				inv := load(t, append(slices.Clone(tc.files), "testdata/kube-system.yaml")...)
				p := InferWith(inv, Options{Narrow: narrow})
				after := reach.Analyze(reach.FromInventory(apply(t, inv, p, narrow)), reach.Options{Probe: true})
				need := tc.need
				if !narrow {
					need = slices.Concat(need, tc.needDefault)
				}
				for _, c := range need {
					if !allowed(t, after, c) {
						t.Errorf("needed connection denied after applying: %s", c)
					}
				}
				for _, c := range tc.deny {
					if allowed(t, after, c) {
						t.Errorf("unrelated connection allowed after applying: %s", c)
					}
				}
				if t.Failed() {
					var buf bytes.Buffer
					_ = WriteYAML(&buf, p)
					t.Log(buf.String())
				}
			})
		}
	}
}

// Without Narrow, the generated policies only add to those of the inputs: a connection
// that policies at both ends allowed is still allowed; a direction that a namespace's
// policies leave open everywhere stays open; and the connections above that existing
// policies allow by naming their peer are kept (needDefault).
func TestKeepsExistingPolicies(t *testing.T) {
	for _, files := range [][]string{
		{"testdata/ingress-controller.yaml"},
		{"../../../examples/shop/manifests"},
		{"testdata/ingress-controller.yaml", "testdata/gitops.yaml", "testdata/policy-engine.yaml"},
	} {
		t.Run(strings.Join(files, "+"), func(t *testing.T) {
			inv := load(t, append(files, "testdata/kube-system.yaml")...)
			p := Infer(inv)
			opt := reach.Options{Probe: true, Boundaries: []netip.Prefix{netip.MustParsePrefix(internet + "/32")}}
			before := reach.Analyze(reach.FromInventory(inv), opt)
			after := reach.Analyze(reach.FromInventory(apply(t, inv, p, false)), opt)
			// The directions that the inputs' policies isolate somewhere in each
			// namespace that has policies: the others must stay open there.
			hasPolicies, isolates := map[string]bool{}, map[string]map[string]bool{}
			for _, pol := range before.Model.Policies {
				hasPolicies[pol.Namespace] = true
				if isolates[pol.Namespace] == nil {
					isolates[pol.Namespace] = map[string]bool{}
				}
				isolates[pol.Namespace]["Ingress"] = isolates[pol.Namespace]["Ingress"] || pol.Ingress
				isolates[pol.Namespace]["Egress"] = isolates[pol.Namespace]["Egress"] || pol.Egress
			}
			leftOpen := func(ns, dir string) bool { return hasPolicies[ns] && !isolates[ns][dir] }
			ends := []reach.Endpoint{{IPBlock: internet}}
			for _, w := range before.Model.Workloads {
				ends = append(ends, w.Ref())
				bi, be := before.Isolated(w)
				var aw *reach.Workload
				for _, x := range after.Model.Workloads {
					if x.Ref() == w.Ref() {
						aw = x
					}
				}
				ai, ae := after.Isolated(aw)
				if leftOpen(w.Namespace, "Ingress") && ai != bi {
					t.Errorf("%s: ingress isolation changed in a namespace left open for ingress", w.Ref())
				}
				if leftOpen(w.Namespace, "Egress") && ae != be {
					t.Errorf("%s: egress isolation changed in a namespace left open for egress", w.Ref())
				}
			}
			isolated := func(a *reach.Analysis, e reach.Endpoint, egress bool) bool {
				if e.IsExternal() {
					return true // no policy of its own: the other end decides
				}
				for _, w := range a.Model.Workloads {
					if w.Ref() == e {
						in, eg := a.Isolated(w)
						return map[bool]bool{true: eg, false: in}[egress]
					}
				}
				return false
			}
			for _, s := range ends {
				for _, d := range ends {
					if s.IsExternal() && d.IsExternal() {
						continue
					}
					was := before.Ports(before.Index(s), before.Index(d))
					if was.IsEmpty() || !isolated(before, s, true) || !isolated(before, d, false) {
						continue
					}
					if now := after.Ports(after.Index(s), after.Index(d)); !now.Intersect(was).Equal(was) {
						t.Errorf("%s -> %s: the inputs' policies allowed %s, now %s", s, d, was, now)
					}
				}
			}
		})
	}
}

// The plan says what it could not infer and what it decided, naming the workloads.
func TestNotesAndWarnings(t *testing.T) {
	inv := load(t, "testdata/gitops.yaml", "testdata/policy-engine.yaml", "testdata/ingress-controller.yaml", "testdata/kube-system.yaml")
	var b strings.Builder
	for _, narrow := range []bool{false, true} {
		p := InferWith(inv, Options{Narrow: narrow})
		fmt.Fprintf(&b, "## Narrow: %v\n\nnotes:\n", narrow)
		for _, n := range p.Notes {
			b.WriteString("- " + n + "\n")
		}
		b.WriteString("\nwarnings:\n")
		for _, w := range p.Warnings {
			b.WriteString("- " + w + "\n")
		}
		b.WriteString("\n")
	}
	out := b.String()
	for _, s := range []string{
		"monitoring/Deployment/prometheus may list Pods, Services or Endpoints",
		"gitops/Deployment/gitops-repo-server connects to git.example.com on TCP/443",
		"NetworkPolicy ingress/ingress-controller spec.egress[0] lets ingress/Deployment/ingress-controller connect to every pod",
		"Narrow: the generated policies replace the NetworkPolicies of namespace ingress (allow-dns, ingress-controller)",
		"the API server's addresses are not in the inputs",
		"policy/policy-reports-server, policy/policy-svc",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("notes and warnings lack %q", s)
		}
	}
	golden.Check(t, "testdata/operators.notes.golden", []byte(out))
}

// The policies written for the operators, without Narrow: reviewed in the diff.
func TestOperatorsGolden(t *testing.T) {
	inv := load(t, "testdata/gitops.yaml", "testdata/policy-engine.yaml", "testdata/ingress-controller.yaml", "testdata/kube-system.yaml")
	var buf bytes.Buffer
	if err := WriteYAML(&buf, Infer(inv)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/operators.golden.yaml", buf.Bytes())
}

// A generated policy never takes the name of a kept one (applying it would replace it).
func TestNamesDoNotReplaceExisting(t *testing.T) {
	inv := load(t, "testdata/ingress-controller.yaml", "testdata/kube-system.yaml")
	p := Infer(inv)
	var names []string
	for _, np := range p.Policies {
		if np.Namespace == "ingress" {
			names = append(names, np.Name)
		}
	}
	for _, taken := range []string{"allow-dns", "ingress-controller"} {
		if slices.Contains(names, taken) {
			t.Errorf("generated policy ingress/%s would replace the existing one (generated: %v)", taken, names)
		}
	}
	if !slices.Contains(names, "allow-dns-moat") {
		t.Errorf("generated %v, want allow-dns-moat", names)
	}
}

// The API server's addresses: from the options, else from the endpoints of
// default/kubernetes in the inputs, else any address but link-local.
func TestAPIServerAddresses(t *testing.T) {
	inv := load(t, "testdata/policy-engine.yaml")
	egressTo := func(p *Plan) []string {
		var out []string
		for _, np := range p.Policies {
			if np.Name != "policy-reports-controller" {
				continue
			}
			for _, r := range np.Spec.Egress {
				for _, to := range r.To {
					if to.IPBlock != nil {
						out = append(out, to.IPBlock.CIDR+" except "+strings.Join(to.IPBlock.Except, ","))
					}
				}
				for _, port := range r.Ports {
					out = append(out, port.Port.String())
				}
			}
		}
		return out
	}
	if got := egressTo(Infer(inv)); !slices.Equal(got, []string{"0.0.0.0/0 except 169.254.0.0/16", "443", "6443"}) {
		t.Errorf("unknown API server: %v", got)
	}
	given := InferWith(inv, Options{APIServer: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/28")}})
	if got := egressTo(given); !slices.Equal(got, []string{"10.0.0.0/28 except ", "443", "6443"}) {
		t.Errorf("given API server: %v", got)
	}
	eps, errs := inventory.Decode(strings.NewReader(`
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: kubernetes, namespace: default, labels: {kubernetes.io/service-name: kubernetes}}
addressType: IPv4
endpoints: [{addresses: [172.18.0.2]}, {addresses: [172.18.0.3]}]
ports: [{name: https, port: 6443, protocol: TCP}]
`), "eps.yaml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	withEps := Infer(inventory.NewInventory(append(slices.Clone(inv.Objects), eps...)))
	if got := egressTo(withEps); !slices.Equal(got, []string{"172.18.0.2/32 except ", "172.18.0.3/32 except ", "443", "6443"}) {
		t.Errorf("API server from the EndpointSlice: %v", got)
	}
}

func TestWriteYAMLGolden(t *testing.T) {
	p := Infer(load(t, "testdata/roundtrip.yaml"))
	var buf bytes.Buffer
	if err := WriteYAML(&buf, p); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/roundtrip.golden.yaml", buf.Bytes())
}
