// Rule netpol/database-port-exposed: a workload that listens on a database port
// (PostgreSQL 5432, MySQL 3306, Redis 6379, MongoDB 27017, Elasticsearch 9200) and that
// pods of other namespaces, or addresses outside the cluster, may reach on that port.
// A database should accept connections from its own application only.
//
// Decisions:
//   - The port is a declared container port. "Other namespaces" are the other
//     namespaces of the inventory and any namespace outside it (a pod with no labels in
//     an unknown namespace).
//   - Only the database's ingress is judged, not the clients' egress: a database that
//     admits other namespaces relies on every one of them to hold back.
//   - What no policy decides (the database is not isolated) is reported on the
//     workload, in every namespace, with or without policies: an exposed database is
//     worse than a missing policy. What a policy's rule allows is reported on that
//     policy, at the rule. Either way adding a policy never adds a finding about
//     anything but that policy (see view.go).
package netpol

import (
	"fmt"
	"slices"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "netpol/database-port-exposed",
			Title:    "Database port reachable from outside its namespace",
			Severity: finding.High,
			Description: `The workload listens on a database port (5432 PostgreSQL, 3306 MySQL, 6379 Redis, 27017
MongoDB, 9200 Elasticsearch) and pods of other namespaces, or addresses outside the
cluster, may connect to that port: no policy isolates it (reported on the workload), or a
policy's ingress rule admits them (reported on the policy, at the rule). Databases are
the usual target of lateral movement, and many of them (Redis, Elasticsearch, MongoDB)
run without authentication by default. NSA/CISA Kubernetes Hardening Guide, network
separation; CIS Kubernetes Benchmark 5.3.2; MITRE ATT&CK T1210 (exploitation of remote
services) and T1213 (data from information repositories).`,
			Remediation: "Isolate the database for ingress and allow its port only from the pods of the application that uses it (podSelector in its own namespace).",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation", MITRE: "T1210"},
			Kinds:       []string{"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController", "NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "GlobalNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"},
		},
		Inventory: checkDatabasePortExposed,
	})
}

var databasePorts = map[int32]string{5432: "PostgreSQL", 3306: "MySQL", 6379: "Redis", 27017: "MongoDB", 9200: "Elasticsearch"}

// dbClass is what the database rule learns about the ingress of one class: the pieces
// of the sources that its rules treat alike (other namespaces only), what allows each,
// and, by port, who exposes it. Workloads of one class share it.
type dbClass struct {
	splits []reach.SourceSplit
	grants [][]reach.Grant
	in     []reach.PortSet
	ports  map[int32]*exposure
}

// exposure is who may reach a database port of a class from other namespaces or from
// outside: the origins that no policy limits (from), and those that each policy's rules
// admit (owners, in the order in which the sources, then the grants, first name them).
type exposure struct {
	from   reach.OriginSet
	owners []*dbOwner
}

type dbOwner struct {
	g      reach.Grant // the first grant of the policy, for its culprit
	fields []string
	from   reach.OriginSet
}

// databases computes the exposures of classes, each once.
type databases struct {
	v       *view
	sp      *reach.Splitter
	byClass map[int]*dbClass
}

func (db *databases) class(ci int) *dbClass {
	if k, ok := db.byClass[ci]; ok {
		return k
	}
	a := db.v.a
	// Sources in the class's own namespace are not reported; the probe is in a
	// namespace of its own.
	skip := a.NewOriginSet()
	ns := a.Namespace(ci)
	if o := a.NamespaceOrigin(ns); o >= 0 {
		skip.Add(o)
	}
	if ns == reach.ProbeNamespace && a.ProbeOrigin() >= 0 {
		skip.Add(a.ProbeOrigin())
	}
	k := &dbClass{splits: db.sp.SplitIngress(ci, skip), ports: map[int32]*exposure{}}
	for _, s := range k.splits {
		k.grants = append(k.grants, a.Grants(ci, s.Rep, false))
		k.in = append(k.in, a.Ingress(ci, s.Rep))
	}
	db.byClass[ci] = k
	return k
}

// exposure is who may reach TCP port port of class ci from elsewhere.
func (db *databases) exposure(ci int, port int32) *exposure {
	k := db.class(ci)
	if e, ok := k.ports[port]; ok {
		return e
	}
	a := db.v.a
	e := &exposure{from: a.NewOriginSet()}
	byTitle := map[string]*dbOwner{}
	for i, s := range k.splits {
		if !k.in[i].Has(reach.TCP, port) {
			continue
		}
		for _, g := range k.grants[i] {
			if !g.Ports.Has(reach.TCP, port) {
				continue
			}
			if g.Default() {
				e.from.Or(s.From)
				continue
			}
			t := g.Title()
			o, ok := byTitle[t]
			if !ok {
				o = &dbOwner{g: g, from: a.NewOriginSet()}
				byTitle[t] = o
				e.owners = append(e.owners, o)
			}
			if !slices.Contains(o.fields, g.Field) {
				o.fields = append(o.fields, g.Field)
			}
			o.from.Or(s.From)
		}
	}
	k.ports[port] = e
	return e
}

// Source labels, in their sorted order.
const (
	labelOutside = "addresses outside the cluster"
	labelAnyNS   = "any namespace"
)

// originList names the origins of a set in sorted order, as listOf does:
// "addresses outside the cluster, any namespace, namespace a, namespace b and 7 more".
func (v *view) originList(from reach.OriginSet) string {
	n := from.Len()
	items := make([]string, 0, min(n, listMax))
	out, probe := v.a.OutsideOrigin(), v.a.ProbeOrigin()
	if from.Has(out) {
		items = append(items, labelOutside)
	}
	if from.Has(probe) {
		items = append(items, labelAnyNS)
	}
	from.Each(func(o int) bool {
		if len(items) == listMax {
			return false
		}
		if o != out && o != probe {
			items = append(items, "namespace "+v.a.OriginNamespace(o))
		}
		return true
	})
	return listOfCount(items, n)
}

// othersThan names every source outside namespace ns: outside addresses, any
// namespace and every other namespace that runs workloads, sorted.
func (v *view) othersThan(ns string) string {
	items := []string{labelOutside, labelAnyNS}
	n := len(items) + len(v.namespaces())
	if _, ok := v.byNS[ns]; ok {
		n--
	}
	for _, other := range v.namespaces() {
		if len(items) == listMax {
			break
		}
		if other != ns {
			items = append(items, "namespace "+other)
		}
	}
	return listOfCount(items, n)
}

func checkDatabasePortExposed(c *rule.Context) []rule.Result {
	v := newView(c)
	db := &databases{v: v, sp: v.a.NewSplitter(), byClass: map[int]*dbClass{}}
	var out []rule.Result
	var cs culprits
	for _, w := range v.m.Workloads {
		if c.Err() != nil {
			break
		}
		var dbPorts []reach.ContainerPort
		for _, p := range w.Ports {
			if _, ok := databasePorts[p.Port]; ok && p.Protocol == reach.TCP && !slices.ContainsFunc(dbPorts, func(q reach.ContainerPort) bool { return q.Port == p.Port }) {
				dbPorts = append(dbPorts, p)
			}
		}
		if len(dbPorts) == 0 {
			continue
		}
		ci := v.a.Workload(w)
		open := v.a.Unlimited(ci, false)
		for _, p := range dbPorts {
			port := reach.Port(reach.TCP, p.Port)
			var from string
			if open {
				// Nothing limits its ingress: every other namespace, any namespace, outside.
				from = v.othersThan(w.Namespace)
			} else {
				e := db.exposure(ci, p.Port)
				for _, o := range e.owners {
					cu := cs.get(o.g)
					for _, f := range o.fields {
						cu.addField(f)
					}
					cu.addWorkload(w, port)
					cu.extra = append(cu.extra, fmt.Sprintf("%s %s port %d from %s", workloadName(w), databasePorts[p.Port], p.Port, v.originList(o.from)))
				}
				if e.from.IsEmpty() {
					continue
				}
				from = v.originList(e.from)
			}
			out = append(out, result(w, fmt.Sprintf("%s listens on %s port %d, reachable from outside namespace %q: from %s (no policy limits its ingress)%s",
				workloadName(w), databasePorts[p.Port], p.Port, w.Namespace, from, v.notEvaluated(v.applying([]*reach.Workload{w}, true), w.Namespace))))
		}
	}
	return append(out, cs.results(v, nil, func(cu *culprit) string {
		slices.Sort(cu.extra)
		return fmt.Sprintf("rule %s lets other namespaces or outside addresses reach a database: %s; allow the port only from the application's own pods",
			cu.rules(), strings.Join(cu.extra, "; "))
	})...)
}
