// Package netpol holds NetworkPolicy rules; the reachability engine builds on them.
package netpol
