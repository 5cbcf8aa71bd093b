// Rule netpol/database-port-exposed: a workload that listens on a database port
// (PostgreSQL 5432, MySQL 3306, Redis 6379, MongoDB 27017, Elasticsearch 9200) and that
// pods of other namespaces, or addresses outside the cluster, may reach on that port.
// A database should accept connections from its own application only.
//
// Decisions: the port is a declared container port. "Other namespaces" are the other
// namespaces of the inventory and any namespace outside it (a pod with no labels in an
// unknown namespace). Unlike the other rules this one also fires in namespaces with no
// NetworkPolicy at all, since an exposed database is worse than a missing policy;
// Calico and Cilium namespaces are skipped.
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
MongoDB, 9200 Elasticsearch) and the NetworkPolicies let pods of other namespaces, or
addresses outside the cluster, connect to that port. Databases are the usual target of
lateral movement, and many of them (Redis, Elasticsearch, MongoDB) run without
authentication by default. NSA/CISA Kubernetes Hardening Guide, network separation; CIS
Kubernetes Benchmark 5.3.2; MITRE ATT&CK T1210 (exploitation of remote services) and
T1213 (data from information repositories).`,
			Remediation: "Isolate the database for ingress and allow its port only from the pods of the application that uses it (podSelector in its own namespace).",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation", MITRE: "T1210"},
			Kinds:       []string{"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"},
		},
		Inventory: checkDatabasePortExposed,
	})
}

var databasePorts = map[int32]string{5432: "PostgreSQL", 3306: "MySQL", 6379: "Redis", 27017: "MongoDB", 9200: "Elasticsearch"}

func checkDatabasePortExposed(c *rule.Context) []rule.Result {
	v := newView(c)
	var out []rule.Result
	for _, w := range v.m.Workloads {
		if v.foreign[w.Namespace] {
			continue
		}
		var dbPorts []reach.ContainerPort
		for _, p := range w.Ports {
			if _, ok := databasePorts[p.Port]; ok && p.Protocol == reach.TCP && !slices.Contains(dbPorts, p) {
				dbPorts = append(dbPorts, p)
			}
		}
		if len(dbPorts) == 0 {
			continue
		}
		ci := v.a.Workload(w)
		sources := v.a.Sources(ci)
		if sources == nil {
			sources = make([]int, v.a.NumEndpoints())
			for i := range sources {
				sources[i] = i
			}
		}
		for _, p := range dbPorts {
			var from []string
			var first = -1
			seen := map[string]bool{} // a label once, however many classes share it
			add := func(label string) {
				if !seen[label] {
					seen[label] = true
					from = append(from, label)
				}
			}
			for _, s := range sources {
				if s < v.a.NumClasses() && v.a.Namespace(s) == w.Namespace {
					continue
				}
				if !v.a.Ports(s, ci).Has(reach.TCP, p.Port) {
					continue
				}
				if first < 0 {
					first = s
				}
				switch {
				case s == v.a.Probe():
					add("any namespace")
				case s >= v.a.NumClasses():
					add("addresses outside the cluster")
				case !seen[v.a.Namespace(s)]:
					seen[v.a.Namespace(s)] = true // namespace names and labels never collide: labels have spaces
					from = append(from, "namespace "+v.a.Namespace(s))
				}
			}
			if len(from) == 0 {
				continue
			}
			slices.Sort(from)
			if len(from) > 4 {
				from = append(from[:4], fmt.Sprintf("and %d more", len(from)-4))
			}
			out = append(out, result(w, fmt.Sprintf("%s listens on %s port %d, reachable from outside namespace %q: from %s (%s)",
				workloadName(w), databasePorts[p.Port], p.Port, w.Namespace, strings.Join(from, ", "),
				which(v.a.Allowing(ci, first, false, reach.Port(reach.TCP, p.Port)), "ingress"))))
		}
	}
	return out
}
