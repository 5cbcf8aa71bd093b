package exposure

// Gateway API objects (gateway.networking.k8s.io), which the loader keeps as
// unstructured objects: the shapes the rules read of Gateways and HTTPRoutes.

import (
	"encoding/json"

	"github.com/moat-dev/moat/internal/inventory"
)

const gatewayGroup = "gateway.networking.k8s.io"

// gatewayShape is what the rules read of a Gateway.
type gatewayShape struct {
	Spec struct {
		Listeners []gatewayListener `json:"listeners"`
	} `json:"spec"`
}

type gatewayListener struct {
	Name     string `json:"name"`
	Hostname string `json:"hostname"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
}

// httpRouteShape is what the rules read of an HTTPRoute.
type httpRouteShape struct {
	Spec struct {
		ParentRefs []struct {
			Group     *string `json:"group"`
			Kind      *string `json:"kind"`
			Namespace string  `json:"namespace"`
			Name      string  `json:"name"`
		} `json:"parentRefs"`
		Hostnames []string `json:"hostnames"`
		Rules     []struct {
			BackendRefs []backendRef `json:"backendRefs"`
		} `json:"rules"`
	} `json:"spec"`
}

// backendRef names a backend of a route: a Service unless group or kind say otherwise.
type backendRef struct {
	Group     *string `json:"group"`
	Kind      *string `json:"kind"`
	Namespace string  `json:"namespace"`
	Name      string  `json:"name"`
	Port      int     `json:"port"`
}

// isService reports a backendRef to a core Service, the default.
func (b backendRef) isService() bool {
	return (b.Group == nil || *b.Group == "") && (b.Kind == nil || *b.Kind == "Service")
}

// decodeAs reads an object of the Gateway API group and kind into a shape.
func decodeAs(o *inventory.Object, kind string, v any) bool {
	if o.Kind() != kind || o.GVK.Group != gatewayGroup {
		return false
	}
	b, err := json.Marshal(o.Obj)
	return err == nil && json.Unmarshal(b, v) == nil
}
