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

// sourceLabel names a source endpoint of a database connection.
func (v *view) sourceLabel(s int) string {
	switch {
	case s == v.a.Probe():
		return "any namespace"
	case s >= v.a.NumClasses():
		return "addresses outside the cluster"
	}
	return "namespace " + v.a.Namespace(s)
}

func checkDatabasePortExposed(c *rule.Context) []rule.Result {
	v := newView(c)
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
		sources := v.a.Sources(ci)
		if sources == nil {
			sources = make([]int, v.a.NumEndpoints())
			for i := range sources {
				sources[i] = i
			}
		}
		for _, p := range dbPorts {
			port := reach.Port(reach.TCP, p.Port)
			if open {
				// Nothing limits its ingress: every other namespace, any namespace, outside.
				from := []string{"addresses outside the cluster", "any namespace"}
				for _, ns := range v.namespaces() {
					if ns != w.Namespace {
						from = append(from, "namespace "+ns)
					}
				}
				slices.Sort(from)
				out = append(out, result(w, fmt.Sprintf("%s listens on %s port %d, reachable from outside namespace %q: from %s (no policy limits its ingress)%s",
					workloadName(w), databasePorts[p.Port], p.Port, w.Namespace, listOf(from), v.notEvaluated(v.applying([]*reach.Workload{w}, true), w.Namespace))))
				continue
			}
			var from []string
			byPolicy := map[*culprit][]string{}
			defaultFrom := map[string]bool{} // source namespaces already named by the default
			for _, s := range sources {
				if s < v.a.NumClasses() && v.a.Namespace(s) == w.Namespace || !v.a.Ingress(ci, s).Has(reach.TCP, p.Port) {
					continue
				}
				for _, g := range v.a.Grants(ci, s, false) {
					if !g.Ports.Has(reach.TCP, p.Port) {
						continue
					}
					if g.Default() {
						nsKey := v.a.Namespace(s)
						if s == v.a.Probe() {
							nsKey = "\x00any"
						}
						if !defaultFrom[nsKey] {
							defaultFrom[nsKey] = true
							if label := v.sourceLabel(s); !slices.Contains(from, label) {
								from = append(from, label)
							}
						}
						continue
					}
					label := v.sourceLabel(s)
					cu := cs.get(g)
					cu.addField(g.Field)
					cu.addWorkload(w, port)
					if !slices.Contains(byPolicy[cu], label) {
						byPolicy[cu] = append(byPolicy[cu], label)
					}
				}
			}
			for cu, labels := range byPolicy {
				slices.Sort(labels)
				cu.extra = append(cu.extra, fmt.Sprintf("%s %s port %d from %s", workloadName(w), databasePorts[p.Port], p.Port, listOf(labels)))
			}
			if len(from) == 0 {
				continue
			}
			slices.Sort(from)
			out = append(out, result(w, fmt.Sprintf("%s listens on %s port %d, reachable from outside namespace %q: from %s (no policy limits its ingress)%s",
				workloadName(w), databasePorts[p.Port], p.Port, w.Namespace, listOf(from), v.notEvaluated(v.applying([]*reach.Workload{w}, true), w.Namespace))))
		}
	}
	return append(out, cs.results(v, nil, func(cu *culprit) string {
		slices.Sort(cu.extra)
		return fmt.Sprintf("rule %s lets other namespaces or outside addresses reach a database: %s; allow the port only from the application's own pods",
			cu.rules(), strings.Join(cu.extra, "; "))
	})...)
}
