// Package exposure holds the rules on what a cluster exposes to the network: Services
// (LoadBalancer, NodePort, external IPs), Ingresses and their NGINX snippets, Gateway
// API Gateways and HTTPRoutes, and the dashboards and admin UIs any of them publish.
package exposure
