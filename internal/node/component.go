package node

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/moat-dev/moat/internal/finding"
)

// The component kinds, as the processes are named.
const (
	APIServer         = "kube-apiserver"
	ControllerManager = "kube-controller-manager"
	Scheduler         = "kube-scheduler"
	Etcd              = "etcd"
	Kubelet           = "kubelet"
	KubeProxy         = "kube-proxy"
)

// Kinds lists the components in the benchmark's order.
var Kinds = []string{APIServer, ControllerManager, Scheduler, Etcd, Kubelet, KubeProxy}

// Group is the API group of the objects that stand for node components in findings:
// a finding about the API server of node cp-1 is about KubeAPIServer/cp-1.
const Group = "node.moat.dev"

// Version is the version of that group.
const Version = "v1alpha1"

var objectKinds = map[string]string{
	APIServer:         "KubeAPIServer",
	ControllerManager: "KubeControllerManager",
	Scheduler:         "KubeScheduler",
	Etcd:              "Etcd",
	Kubelet:           "Kubelet",
	KubeProxy:         "KubeProxy",
}

// ObjectKind is the kind of the object that stands for a component ("KubeAPIServer").
func ObjectKind(component string) string { return objectKinds[component] }

// Component is one component process: its command line read as the component reads it,
// and for the kubelet and kube-proxy its effective configuration. It is the object node
// rules check; it is never changed after Load.
type Component struct {
	metav1.TypeMeta
	metav1.ObjectMeta

	// Kind is the component ("kube-apiserver").
	Kind string
	// PID is the process id, 0 for command lines read from a file.
	PID int
	// Args are the arguments after the program name.
	Args []string
	// Env holds the process environment (etcd reads ETCD_* variables); nil when unknown.
	Env map[string]string
	// Flags are Args parsed with the component's own flag types and defaults.
	Flags *Flags
	// ArgsUnknown is set when the command line could not be seen (a kubelet read from
	// /configz): checks of flags that have no config field do not run.
	ArgsUnknown bool
	// Origin is where the command line was read: a static pod manifest (with a line per
	// flag), /proc/PID/cmdline, or the file given with --cmdlines.
	Origin finding.Source
	// Kubelet is the kubelet's effective configuration (defaults, --config file, flags).
	Kubelet *KubeletConfig
	// Host is the machine the component runs on, for the files its flags name.
	Host *Host `json:"-"`
}

// DeepCopyObject returns c itself: a Component is read-only once loaded.
func (c *Component) DeepCopyObject() runtime.Object { return c }

// GVK is the group, version and kind of c's object.
func (c *Component) GVK() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: Group, Version: Version, Kind: ObjectKind(c.Kind)}
}

// FlagSource is where flag name was set: its line in the static pod manifest when the
// command line came from one, else the command line's origin.
func (c *Component) FlagSource(name string) *finding.Source {
	s := c.Origin
	if s.File == "" {
		return nil
	}
	if line := c.Flags.Line(name); line > 0 {
		s.Line = line
	}
	// Else the command line's own line: that of a --cmdlines file, none for /proc.
	return &s
}
