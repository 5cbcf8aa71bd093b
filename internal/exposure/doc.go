// Package exposure holds the rules on what a cluster exposes or leaves open:
// Services, Ingresses, namespaces without Pod Security labels, removed APIs.
package exposure
