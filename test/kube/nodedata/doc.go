// Package nodedata generates internal/node/componentdata/data/<1.N>/components.json
// from the Kubernetes source test/kube pins: the flags kube-apiserver,
// kube-controller-manager, kube-scheduler, the kubelet and kube-proxy register (type,
// default, deprecation), the admission plugins and feature gates of the release, and
// the kubelet's and kube-proxy's configuration defaults with the configuration field
// each flag sets.
//
// Every figure comes from calling the components' own code the way their main
// functions do, never from a hand-kept table: the flag sets are the ones the commands
// build (kube-proxy's in a program of its own, kubeproxyflags, because it takes in
// Go's global flags and those depend on what the binary links), the defaults are what
// their schemes' defaulting, config-file loaders and constructors yield, and the
// field a flag sets is found by parsing that flag alone and seeing which field
// changed (fieldprobe). Where a component keeps a step private, the few lines are
// repeated here: the kubelet's clean flag set, checked against the kubelet's usage
// text so that a release that changes it fails here, and the hard eviction defaults
// the kubelet's loadConfigFile adds.
//
// Defaults depend on the operating system (eviction thresholds, kube-proxy's mode), so
// the data describes Linux nodes and Generate refuses to run elsewhere.
package nodedata
