// Package reach is Moat's NetworkPolicy reachability engine: from the inventory it
// computes which workloads may open connections to which, on which ports, with the
// semantics of networking.k8s.io/v1 NetworkPolicy, of AdminNetworkPolicy and
// BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1), and of the L3/L4 part
// of Cilium's and Calico's policies (cilium.go and calico.go say what is evaluated and
// what is not; decide.go gives the order in which all of them decide). A policy that
// does not parse is left out (Model.Skipped): it isolates nothing.
//
// The graph. Nodes are workloads (pod controllers and bare pods; pods on the host
// network are left out, NetworkPolicy does not apply to them) and ranges of addresses
// outside the cluster. The outside is split into the fewest CIDRs such that every
// ipBlock, except and admin "networks" CIDR holds each of them whole or not at all:
// one node per CIDR (IPv4 always; IPv6 only when a policy names an IPv6 address).
//
// Equivalence classes. Policies see a pod only through its namespace's labels, its own
// labels, its container ports (named ports), its service account and its IPs, and an IP
// only through the CIDRs that hold it; pods equal in all of these (IPs in the same runs
// between the bounds of the named CIDRs) are one class, and the engine works on classes:
// peers are compiled once into bitsets of classes and outside nodes, and each class
// keeps the rules of the policies that select it. Work grows with classes and rules,
// not with pods.
//
// Rows (group.go). ConnectionSet and WorkloadRows give a row per workload; with
// ModelOptions.PodsApart every pod read is a workload, and OwnerRows gives a row per
// owner (package owners), keeping apart the pods of one owner that differ in template
// or that policies treat differently, with a note saying why.
//
// Origins (origins.go). Rules that ask from where a class may be reached name sources
// by namespace, elsewhere (the probe) or outside the cluster. A Splitter cuts the
// endpoints into pieces that a class's rules treat alike (same Grants), each given as
// the origins it spans, from summaries of each rule's match by origin: asking about a
// class costs its rules and the number of namespaces, not one Grants per endpoint.
//
// Semantics, as the API reference and the upstream e2e suite define them (the cases
// of kubernetes/kubernetes test/e2e/network/netpol are transcribed in
// upstream_test.go):
//   - policyTypes absent means Ingress, plus Egress when the policy has egress rules;
//     a pod is isolated in a direction when a policy of that type selects it, and then
//     gets only what some rule of those policies allows (the union);
//   - a peer with podSelector alone selects in the policy's namespace, with
//     namespaceSelector alone every pod of the matching namespaces, with both the
//     matching pods of the matching namespaces; an empty from/to matches everything,
//     an empty selector {} matches all;
//   - ports: protocol defaults to TCP, a port without number is every port of the
//     protocol, endPort makes a range, a named port resolves against the destination
//     pod's container ports of that name and protocol;
//   - a connection needs the egress of the source and the ingress of the destination;
//     Grants says, for one side, which rule allows which ports, and which ports no
//     policy decides (the rules of package netpol report each on its own object);
//   - admin policies: AdminNetworkPolicies by priority (lower number first, ties by
//     name), within one the first matching rule decides: Allow and Deny are final,
//     Pass hands the traffic to the NetworkPolicies; then NetworkPolicies; traffic no
//     NetworkPolicy isolates goes to the BaselineAdminNetworkPolicy, whose first
//     matching rule decides; what nothing decides is allowed. A "nodes" peer matches
//     nothing (nodes are not in the graph).
//
// Pod IPs. From files, pod IPs are unknown: an ipBlock never matches a pod, only
// outside ranges (what a CNI does for a pod whose IP lies outside every ipBlock). From a
// cluster, pods carry status.podIPs: a bare pod's ipBlock membership is exact, and a
// workload takes the IPs of its pods, matching an ipBlock when any of its pods does
// (with PodsApart each pod keeps its own IPs, and membership is exact for every pod).
//
// The package is pure: it reads the inventory and computes; the CLI renders.
package reach
