// Package netpol holds the NetworkPolicy rules of `moat scan`: coverage (a namespace
// with no policy, or no default deny), isolation (a workload no ingress policy selects,
// one reachable from every namespace, a database port open to other namespaces), egress
// (the whole internet, the cloud metadata endpoint) and hygiene (a policy or a peer
// that selects nothing). The reachability rules ask the engine in package reach.
//
// Like every analyzer it is pure: it reads the inventory and nothing else.
package netpol
