package reach

import (
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
)

const filesFixture = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: api
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-canary, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: db, ports: [{containerPort: 5432}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: http}]
  egress:
  - to: [{podSelector: {matchLabels: {app: db}}}]
    ports: [{port: 5432}, {port: 8000, endPort: 9000}]
  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{port: 443}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: api}}}]
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ports: [{port: 443}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 5432}]
`

func analyzeYAML(t *testing.T, doc string, opt Options) *Analysis {
	t.Helper()
	objs, errs := inventory.Decode(strings.NewReader(doc), "shop.yaml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	m := FromInventory(inventory.NewInventory(objs))
	if len(m.Warnings) > 0 {
		t.Fatal(m.Warnings)
	}
	return Analyze(m, opt)
}

func TestConnectionsFromFiles(t *testing.T) {
	a := analyzeYAML(t, filesFixture, Options{})
	// web and web-canary have the same labels and ports: one class.
	if got := a.NumClasses(); got != 3 {
		t.Errorf("%d classes, want 3 (api, web+web-canary, db)", got)
	}
	var got []string
	for _, c := range a.Connections() {
		got = append(got, c.Src.String()+" -> "+c.Dst.String()+" "+c.Ports.String())
	}
	// ipBlocks do not match pods read from files: web's 0.0.0.0/0 rule opens only the outside.
	want := []string{
		"shop/Deployment/api -> shop/StatefulSet/db TCP/5432",
		"shop/Deployment/api -> 10.0.0.0/16 TCP/443",
		"shop/Deployment/api -> 10.2.0.0/15 TCP/443",
		"shop/Deployment/api -> 10.4.0.0/14 TCP/443",
		"shop/Deployment/api -> 10.8.0.0/13 TCP/443",
		"shop/Deployment/api -> 10.16.0.0/12 TCP/443",
		"shop/Deployment/api -> 10.32.0.0/11 TCP/443",
		"shop/Deployment/api -> 10.64.0.0/10 TCP/443",
		"shop/Deployment/api -> 10.128.0.0/9 TCP/443",
		"shop/Deployment/web -> shop/Deployment/api TCP/8080",
	}
	for _, ip := range []string{"0.0.0.0/5", "8.0.0.0/7", "10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/15", "10.4.0.0/14", "10.8.0.0/13", "10.16.0.0/12", "10.32.0.0/11", "10.64.0.0/10", "10.128.0.0/9", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1"} {
		want = append(want, "shop/Deployment/web -> "+ip+" TCP/443")
	}
	want = append(want, "shop/Deployment/web-canary -> shop/Deployment/api TCP/8080")
	for _, ip := range []string{"0.0.0.0/5", "8.0.0.0/7", "10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/15", "10.4.0.0/14", "10.8.0.0/13", "10.16.0.0/12", "10.32.0.0/11", "10.64.0.0/10", "10.128.0.0/9", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1"} {
		want = append(want, "shop/Deployment/web-canary -> "+ip+" TCP/443")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("connections:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestEndPortAndNamedPorts(t *testing.T) {
	a := analyzeYAML(t, filesFixture, Options{})
	api := a.Index(Endpoint{Namespace: "shop", Kind: "Deployment", Name: "api"})
	db := a.Index(Endpoint{Namespace: "shop", Kind: "StatefulSet", Name: "db"})
	web := a.Index(Endpoint{Namespace: "shop", Kind: "Deployment", Name: "web"})
	// api's egress allows 5432 and 8000-9000 to db; db's ingress only 5432.
	if got := a.side(api, db, true).String(); got != "TCP/5432,TCP/8000-9000" {
		t.Errorf("egress api→db = %s", got)
	}
	if got := a.Ports(api, db).String(); got != "TCP/5432" {
		t.Errorf("api→db = %s", got)
	}
	// The named port http resolves against api's container port 8080.
	if got := a.Ports(web, api).String(); got != "TCP/8080" {
		t.Errorf("web→api = %s", got)
	}
	if got := a.Ports(db, api); !got.IsEmpty() {
		t.Errorf("db→api = %s, want none (db's egress is denied)", got)
	}
}

func TestExplain(t *testing.T) {
	a := analyzeYAML(t, filesFixture, Options{})
	api := Endpoint{Namespace: "shop", Kind: "Deployment", Name: "api"}
	db := Endpoint{Namespace: "shop", Kind: "StatefulSet", Name: "db"}
	web := Endpoint{Namespace: "shop", Kind: "Deployment", Name: "web"}
	p := Port(TCP, 5432)
	tests := []struct {
		name     string
		src, dst Endpoint
		port     *PortSet
		want     []string
	}{
		{"allowed on the asked port, naming both rules with their lines", api, db, &p, []string{
			"NetworkPolicy shop/api rule spec.egress[0] (shop.yaml:65) allows to shop/StatefulSet/db on TCP/5432.",
			"NetworkPolicy shop/db rule spec.ingress[0] (shop.yaml:87) allows from shop/Deployment/api on TCP/5432.",
			"Allowed: shop/Deployment/api may connect to shop/StatefulSet/db on TCP/5432.",
		}},
		{"denied by the egress side, with the isolating policies", db, api, nil, []string{
			"shop/StatefulSet/db is isolated for egress by shop/default-deny (shop.yaml:51): only",
			"None of their egress rules matches shop/Deployment/api on every port: add a rule to it to one of them",
			"Denied: shop/StatefulSet/db may not connect to shop/Deployment/api; blocked by the egress of shop/StatefulSet/db and the ingress of shop/Deployment/api.",
		}},
		{"partly allowed: every port asked, one allowed", web, api, nil, []string{
			"NetworkPolicy shop/web rule spec.egress[0] (shop.yaml:77) allows to shop/Deployment/api on every port.",
			"Partly allowed: shop/Deployment/web may connect to shop/Deployment/api on TCP/8080 only",
		}},
		{"an address outside the cluster", web, Endpoint{IPBlock: "1.1.1.1"}, nil, []string{
			"1.1.1.1 (in the outside range 0.0.0.0/5): outside the cluster, no policy limits what it receives.",
			"NetworkPolicy shop/web rule spec.egress[1] (shop.yaml:78) allows to 1.1.1.1 (in the outside range 0.0.0.0/5) on TCP/443.",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := a.Explain(tt.src, tt.dst, tt.port)
			if err != nil {
				t.Fatal(err)
			}
			text := e.String()
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("explanation lacks %q:\n%s", w, text)
				}
			}
		})
	}
	if _, err := a.Explain(Endpoint{Namespace: "shop", Kind: "Deployment", Name: "nope"}, db, nil); err == nil {
		t.Error("unknown workload: no error")
	}
}

func TestPortSetAlgebra(t *testing.T) {
	a := PortRange(TCP, 80, 90).Union(Port(TCP, 91)).Union(Port(UDP, 53))
	if got := a.String(); got != "TCP/80-91,UDP/53" {
		t.Errorf("union = %s", got)
	}
	if got := a.Subtract(Port(TCP, 85)).String(); got != "TCP/80-84,TCP/86-91,UDP/53" {
		t.Errorf("subtract = %s", got)
	}
	if got := a.Intersect(PortRange(TCP, 1, 82)).String(); got != "TCP/80-82" {
		t.Errorf("intersect = %s", got)
	}
	if !AllPorts().Subtract(ProtocolPorts(UDP)).Union(ProtocolPorts(UDP)).IsAll() {
		t.Error("all minus UDP plus UDP is not all")
	}
	if got := AllPorts().Subtract(Port(TCP, 1)).Subtract(Port(TCP, 65535)).String(); got != "TCP/2-65534,UDP/1-65535,SCTP/1-65535" {
		t.Errorf("all minus the ends = %s", got)
	}
}

func TestParsePortFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"80", "TCP/80", false},
		{"80/TCP", "TCP/80", false},
		{"udp/53", "UDP/53", false},
		{"53/udp", "UDP/53", false},
		{"8000-9000/SCTP", "SCTP/8000-9000", false},
		{"0", "", true},
		{"65536", "", true},
		{"80/ICMP", "", true},
		{"90-80", "", true},
		{"", "", true},
		{"http", "", true},
	}
	for _, tt := range tests {
		p, lo, hi, err := ParsePortFlag(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParsePortFlag(%q) error %v", tt.in, err)
			continue
		}
		if err == nil {
			if got := PortRange(p, lo, hi).String(); got != tt.want {
				t.Errorf("ParsePortFlag(%q) = %s, want %s", tt.in, got, tt.want)
			}
		}
	}
}

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in   string
		want Endpoint
		err  bool
	}{
		{"shop/deploy/api", Endpoint{Namespace: "shop", Kind: "Deployment", Name: "api"}, false},
		{"sts/db", Endpoint{Namespace: "default", Kind: "StatefulSet", Name: "db"}, false},
		{"169.254.169.254", Endpoint{IPBlock: "169.254.169.254"}, false},
		{"10.0.0.0/8", Endpoint{IPBlock: "10.0.0.0/8"}, false},
		{"fd00::1", Endpoint{IPBlock: "fd00::1"}, false},
		{"default/pod/cafe.de", Endpoint{Namespace: "default", Kind: "Pod", Name: "cafe.de"}, false},
		{"api", Endpoint{}, true},
		{"a//b", Endpoint{}, true},
		{"", Endpoint{}, true},
	}
	for _, tt := range tests {
		got, err := ParseEndpoint(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseEndpoint(%q) = %+v, %v", tt.in, got, err)
		}
	}
}
