// Package netpol holds the NetworkPolicy rules. The first is coverage: a namespace that
// runs pods and has no policy at all. The reachability engine (which pod may reach which)
// builds on the same inventory indexes later.
//
// Like every analyzer it is pure: it reads the inventory and nothing else.
package netpol
