package inventory

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// agreeKinds are the kinds the differential tests decode both ways.
var agreeKinds = []schema.GroupVersionKind{
	{Version: "v1", Kind: "Pod"},
	{Group: "apps", Version: "v1", Kind: "Deployment"},
	{Group: "apps", Version: "v1", Kind: "StatefulSet"},
	{Group: "apps", Version: "v1", Kind: "DaemonSet"},
	{Group: "batch", Version: "v1", Kind: "CronJob"},
	{Version: "v1", Kind: "Service"},
	{Version: "v1", Kind: "ConfigMap"},
	{Version: "v1", Kind: "Secret"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBinding"},
	{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"},
	{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"},
}

// decodeBoth decodes js as gvk with the fast decoder and with the API machinery's; ok
// says whether each succeeded.
func decodeBoth(t *testing.T, js []byte, gvk schema.GroupVersionKind) (fast, api any, fastOK, apiOK bool) {
	t.Helper()
	f, err := scheme.Scheme.New(gvk)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := scheme.Scheme.New(gvk)
	fastOK = fastDecode(js, f)
	apiOK = kjson.UnmarshalCaseSensitivePreserveInts(js, a) == nil
	return f, a, fastOK, apiOK
}

// checkAgree fails when the fast decoder accepts js and the API machinery refuses it, or
// when both accept it and decode different objects. (The fast decoder refusing what the
// API machinery accepts only costs a second decode: decodeTyped falls back.)
func checkAgree(t *testing.T, name string, js []byte, gvk schema.GroupVersionKind) {
	t.Helper()
	fast, api, fastOK, apiOK := decodeBoth(t, js, gvk)
	switch {
	case fastOK && !apiOK:
		t.Errorf("%s as %s: the fast decoder accepts what the API machinery refuses:\n%s", name, gvk.Kind, js)
	case fastOK && !reflect.DeepEqual(fast, api):
		t.Errorf("%s as %s: the decoders disagree:\nfast %#v\napi  %#v", name, gvk.Kind, fast, api)
	}
}

// TestTypedDecodersAgreeOnFixtures decodes every object of the repository's example
// and test manifests both ways, as its own kind.
func TestTypedDecodersAgreeOnFixtures(t *testing.T) {
	n := 0
	for _, root := range []string{"../../examples", "testdata"} {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			for _, doc := range strings.Split(string(data), "\n---") {
				js, err := yaml.YAMLToJSON([]byte(doc))
				if err != nil {
					continue
				}
				var tm typeMeta
				if readTypeMeta(js, &tm) != nil || tm.Kind == "" {
					continue
				}
				gv, err := schema.ParseGroupVersion(tm.APIVersion)
				if err != nil || !scheme.Scheme.Recognizes(gv.WithKind(tm.Kind)) {
					continue
				}
				checkAgree(t, path, js, gv.WithKind(tm.Kind))
				n++
			}
			return nil
		})
	}
	if n < 50 {
		t.Fatalf("only %d typed objects found in the fixtures", n)
	}
}

// TestTypedDecodersAgreeOnEdges holds the decoders to the same answer on what differs
// between JSON decoders: case, duplicate keys, numbers, nulls, escapes, wrong types.
func TestTypedDecodersAgreeOnEdges(t *testing.T) {
	for _, js := range []string{
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","labels":{"x":"1"}},"spec":{"containers":[{"name":"c","image":"i"}]}}`,
		`{"kind":"Pod","Metadata":{"name":"a"}}`,
		`{"kind":"Pod","metadata":{"name":"a","name":"b"}}`,
		`{"kind":"Pod","spec":{"containers":null,"hostPID":null}}`,
		`{"kind":"Pod","spec":{"terminationGracePeriodSeconds":1.0}}`,
		`{"kind":"Pod","spec":{"terminationGracePeriodSeconds":1e2}}`,
		`{"kind":"Pod","spec":{"terminationGracePeriodSeconds":"30"}}`,
		`{"kind":"Pod","spec":{"terminationGracePeriodSeconds":9223372036854775808}}`,
		`{"kind":"Pod","spec":{"hostPID":"true"}}`,
		`{"kind":"Pod","spec":{"hostPID":1}}`,
		`{"kind":"Pod","metadata":{"name":"\u00e9\ud83d\ude00\u0000"}}`,
		`{"kind":"Pod","metadata":{"name":"bad \udc00 surrogate"}}`,
		`{"kind":"Pod","spec":{"containers":[{"resources":{"limits":{"cpu":"100m","memory":1e3}}}]}}`,
		`{"kind":"Pod","spec":{"containers":[{"resources":{"limits":{"cpu":"abc"}}}]}}`,
		`{"kind":"Pod","spec":{"containers":[{"ports":[{"containerPort":80,"protocol":"TCP"}],"livenessProbe":{"httpGet":{"port":"http"}}}]}}`,
		`{"kind":"Pod","spec":{"containers":[{"livenessProbe":{"httpGet":{"port":8080.5}}}]}}`,
		`{"kind":"Pod","metadata":{"creationTimestamp":"2024-01-01T00:00:00Z"}}`,
		`{"kind":"Pod","metadata":{"creationTimestamp":"yesterday"}}`,
		`{"kind":"Pod","metadata":{"annotations":{"a":null}}}`,
		`{"kind":"Pod","spec":{"nodeSelector":[]}}`,
		`{"kind":"Pod","spec":{"containers":{}}}`,
		`{"kind":"Pod","unknown":{"deep":[1,2,{"x":null}]}}`,
		`{"kind":"Pod","spec":{"containers":[{"name":"c"},]}}`,
		`{"kind":"Pod"} trailing`,
		`{"apiVersion":"v1","kind":"List","items":[{"a": 1}, {"b":[1, 2]} ,"x",null]}`,
		`{"apiVersion":"v1","kind":"List","items":null}`,
		`{"apiVersion":"v1","kind":"List","items":{}}`,
		`{"apiVersion":"v1","kind":"List","items":[1,`,
		`{"apiVersion":1,"kind":"Pod"}`,
		`{"apiVersion":"v1","kind":null}`,
		`{"apiVersion":"v1","Kind":"Pod","kind":"Service","kind":"Secret"}`,
		`[{"kind":"Pod"}]`,
		`"just a string"`,
		// the tokenizer of readTypeMeta: escapes, duplicates, what follows the object
		`{"apiVersion":"v1","kind":"List","items":[]}`,
		`{"apiVersion":"v1","kind":"List","items":[{"a":1}],"items":[]}`,
		`{"kin\u0064":"Pod","apiVersion":"v\u0031"}`,
		`{"kind":"Po\u0064","kind":"Service"}`,
		"{\"kind\":\"Pod\",\"x\":\"\xff\"}",
		"{\"kind\":\"Pod\",\"x\":\"a\tb\"}",
		"{\"kind\":\"Pod\"} \n\t",
		`{"kind":"Pod"}{"kind":"Service"}`,
		`{"kind":"Pod",}`,
		`{"kind":"Pod","x":[1,{"y":[]}]`,
	} {
		for _, gvk := range agreeKinds[:1] {
			checkAgree(t, js, []byte(js), gvk)
		}
		checkTypeMetaAgrees(t, []byte(js))
	}
}

// TestTypeMetaAtTheNestingLimit: encoding/json refuses a document nested deeper than
// 10,000; the tokenizer, skipping a member that deep, must refuse it too.
func TestTypeMetaAtTheNestingLimit(t *testing.T) {
	for _, depth := range []int{9_999, 10_000, 10_001} {
		js := `{"kind":"Pod","x":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
		checkTypeMetaAgrees(t, []byte(js))
	}
}

// FuzzTypedDecodersAgree is TestTypedDecodersAgreeOnEdges on fuzzed documents, each
// decoded as one of agreeKinds.
func FuzzTypedDecodersAgree(f *testing.F) {
	for i, seed := range []string{
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a","namespace":"n"},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":"1"}},"securityContext":{"privileged":true}}]}}}}`,
		`{"apiVersion":"v1","kind":"Service","spec":{"type":"NodePort","ports":[{"port":80,"targetPort":"http","nodePort":30000}]}}`,
		`{"apiVersion":"v1","kind":"ConfigMap","data":{"a":"b"},"binaryData":{"c":"ZGF0YQ=="}}`,
		`{"apiVersion":"v1","kind":"Secret","data":{"a":"not base64!"},"stringData":{"b":"c"}}`,
		`{"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}],"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"a":"b"}}]}}`,
		`{"spec":{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"0.0.0.0/0"}}],"ports":[{"port":5432}]}]}}`,
	} {
		f.Add(uint8(i), []byte(seed))
	}
	f.Fuzz(func(t *testing.T, kind uint8, js []byte) {
		if len(js) > 1<<16 {
			return
		}
		checkAgree(t, "fuzz", js, agreeKinds[int(kind)%len(agreeKinds)])
		checkTypeMetaAgrees(t, js)
	})
}

// checkTypeMetaAgrees holds readTypeMeta to what the API machinery's decoder reads:
// the same apiVersion, kind and items, or an error from both.
func checkTypeMetaAgrees(t *testing.T, js []byte) {
	t.Helper()
	var fast, api typeMeta
	fastOK := readTypeMeta(js, &fast) == nil
	apiOK := kjson.UnmarshalCaseSensitivePreserveInts(js, &api) == nil
	switch {
	case fastOK != apiOK:
		t.Errorf("typeMeta: readTypeMeta's success is %v, the API machinery's %v:\n%s", fastOK, apiOK, js)
	case fastOK && !reflect.DeepEqual(fast, api):
		t.Errorf("typeMeta: the decoders disagree on %s:\nfast %#v\napi  %#v", js, fast, api)
	}
}
