// Package exposure holds the rules on what a cluster exposes to the network: Services
// (LoadBalancer, NodePort, external IPs) and Ingresses.
package exposure
