package detect

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
	jsoniter "github.com/json-iterator/go"

	"github.com/moat-dev/moat/internal/audit"
)

// The CEL variables a condition sees. Strings are "" and lists and maps empty when the
// event has no such value, so conditions rarely need has().
//
//	verb, stage, level                 the request verb, audit stage and level
//	username, groups                   the effective user: the impersonated one if any
//	authUser                           the authenticated user (the impersonator, when impersonating)
//	impersonatedUser                   the impersonated user name, "" if none
//	resource, subresource, ns, name, apiGroup, apiVersion   the objectRef (ns: namespace is reserved in CEL)
//	requestURI, userAgent, sourceIPs   where the request came from
//	code, reason, message              the response status code (0 if absent), reason and
//	                                   message (a refusal's message says why: "cannot impersonate")
//	annotations                        the event's annotations (authorization decision, PSS)
//	request, response                  requestObject / responseObject as maps ({} if absent)
//	object                             the object acted on: the response object when it is one,
//	                                   else the request object
//	pod                                the pod spec of object: a Pod's spec, a workload's
//	                                   template spec, a CronJob's job template's ({} otherwise)
//	containers                         containers, initContainers and ephemeralContainers of pod
//	command                            the command of an exec request (from requestURI)
//
// and one function beside CEL's own and the strings, lists, sets and bindings extensions:
//
//	csrSubject(string) map             the subject of a CertificateSigningRequest's
//	                                   spec.request: {"commonName": string, "organizations": [string]}
var variables = []cel.EnvOption{
	cel.Variable("verb", cel.StringType),
	cel.Variable("stage", cel.StringType),
	cel.Variable("level", cel.StringType),
	cel.Variable("username", cel.StringType),
	cel.Variable("groups", cel.ListType(cel.StringType)),
	cel.Variable("authUser", cel.StringType),
	cel.Variable("impersonatedUser", cel.StringType),
	cel.Variable("resource", cel.StringType),
	cel.Variable("subresource", cel.StringType),
	cel.Variable("ns", cel.StringType),
	cel.Variable("name", cel.StringType),
	cel.Variable("apiGroup", cel.StringType),
	cel.Variable("apiVersion", cel.StringType),
	cel.Variable("requestURI", cel.StringType),
	cel.Variable("userAgent", cel.StringType),
	cel.Variable("sourceIPs", cel.ListType(cel.StringType)),
	cel.Variable("code", cel.IntType),
	cel.Variable("reason", cel.StringType),
	cel.Variable("message", cel.StringType),
	cel.Variable("annotations", cel.MapType(cel.StringType, cel.StringType)),
	cel.Variable("request", cel.DynType),
	cel.Variable("response", cel.DynType),
	cel.Variable("object", cel.DynType),
	cel.Variable("pod", cel.DynType),
	cel.Variable("containers", cel.ListType(cel.DynType)),
	cel.Variable("command", cel.ListType(cel.StringType)),
}

type celEnv struct {
	env *cel.Env
	// conjuncts caches the table of each conjunct about code: the pack's conditions share
	// a handful (those of succeeded, refused, forbidden).
	conjuncts map[string]*[maxCode]bool
}

type program struct {
	prg cel.Program
	// codes, for a condition with conjuncts that read the response code only (succeeded,
	// refused, forbidden, code == 403...), says for each code below maxCode whether they
	// all hold; nil when there are none. The engine skips the CEL where they do not.
	codes *[maxCode]bool
}

// maxCode bounds the response codes tabulated for a condition (HTTP codes are below 600).
const maxCode = 600

func newEnv() (*celEnv, error) {
	opts := append([]cel.EnvOption{cel.OptionalTypes(), ext.Strings(), ext.Lists(), ext.Sets(), ext.Bindings(), csrSubjectFunction}, variables...)
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, err
	}
	return &celEnv{env: env, conjuncts: map[string]*[maxCode]bool{}}, nil
}

// compile checks src; a condition must be a bool, a field a string.
func (e *celEnv) compile(src string, condition bool) (program, error) {
	ast, iss := e.env.Compile(src)
	if iss.Err() != nil {
		return program{}, fmt.Errorf("%s", strings.TrimSpace(iss.Err().Error()))
	}
	want := cel.BoolType
	if !condition {
		want = cel.StringType
	}
	if !ast.OutputType().IsExactType(want) && !ast.OutputType().IsExactType(cel.DynType) {
		return program{}, fmt.Errorf("gives %s, want %s", ast.OutputType(), want)
	}
	prg, err := e.env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return program{}, err
	}
	p := program{prg: prg}
	if condition {
		p.codes = e.codeTable(ast)
	}
	return p, nil
}

// codeTable tabulates the top-level conjuncts of a condition that read nothing but code,
// for every code below maxCode. When such a conjunct is false the condition is false
// whatever the rest gives (CEL's && is false if either side is, errors included), so a rule
// whose table says false for an event's code cannot match it: most rules hold for admitted
// requests only, the refused-attempt rules for refused ones, and the engine then runs only
// the CEL of the side that can match. A conjunct that fails to evaluate counts as true.
func (e *celEnv) codeTable(a *cel.Ast) *[maxCode]bool {
	var conj []celast.Expr
	var flatten func(x celast.Expr)
	flatten = func(x celast.Expr) {
		if x.Kind() == celast.CallKind && x.AsCall().FunctionName() == operators.LogicalAnd {
			for _, arg := range x.AsCall().Args() {
				flatten(arg)
			}
			return
		}
		conj = append(conj, x)
	}
	native := a.NativeRep()
	flatten(native.Expr())
	var table *[maxCode]bool
	for _, x := range conj {
		if !readsCodeOnly(x) {
			continue
		}
		src, err := cel.ExprToString(x, native.SourceInfo())
		if err != nil {
			continue
		}
		t := e.conjunctTable(src)
		if t == nil {
			continue
		}
		if table == nil {
			table = new([maxCode]bool)
			*table = *t
			continue
		}
		for c := range table {
			table[c] = table[c] && t[c]
		}
	}
	return table
}

// conjunctTable evaluates one conjunct about code for every code below maxCode (nil if it
// is not a bool expression).
func (e *celEnv) conjunctTable(src string) *[maxCode]bool {
	if t, ok := e.conjuncts[src]; ok {
		return t
	}
	var t *[maxCode]bool
	sub, iss := e.env.Compile(src)
	if iss.Err() == nil && sub.OutputType().IsExactType(cel.BoolType) {
		if prg, err := e.env.Program(sub); err == nil {
			t = new([maxCode]bool)
			for c := range t {
				out, _, err := prg.Eval(map[string]any{"code": c})
				t[c] = err != nil || out != types.False
			}
		}
	}
	e.conjuncts[src] = t
	return t
}

// readsCodeOnly reports whether x reads the variable code and no other, and binds no
// variable of its own.
func readsCodeOnly(x celast.Expr) bool {
	code := false
	ok := true
	var walk func(x celast.Expr)
	walk = func(x celast.Expr) {
		switch x.Kind() {
		case celast.IdentKind:
			if x.AsIdent() == "code" {
				code = true
			} else {
				ok = false
			}
		case celast.LiteralKind:
		case celast.CallKind:
			c := x.AsCall()
			if c.IsMemberFunction() {
				walk(c.Target())
			}
			for _, arg := range c.Args() {
				walk(arg)
			}
		case celast.ListKind:
			for _, el := range x.AsList().Elements() {
				walk(el)
			}
		default: // selections, comprehensions, maps, structs
			ok = false
		}
	}
	walk(x)
	return ok && code
}

// vars is the activation of one event: every rule reads the same one, and the costly
// values (decoded objects, pod spec) are computed on first use only.
type vars struct {
	ev                   *audit.Event
	user, imp            string
	groups               []string
	req, resp, obj, pod  ref.Val
	reqMap, objMap       map[string]any
	podMap               map[string]any
	containers, cmd      ref.Val
	decodedReq, decodedR bool
	respMap              map[string]any
	groupsV, ipsV, annV  ref.Val
}

var _ interpreter.Activation = (*vars)(nil)

var emptyMap = types.NewStringInterfaceMap(types.DefaultTypeAdapter, map[string]any{})
var emptyList = types.NewStringList(types.DefaultTypeAdapter, nil)

func newVars(ev *audit.Event) *vars {
	v := &vars{ev: ev}
	v.user, v.groups, v.imp = audit.EffectiveUser(ev)
	return v
}

func (v *vars) Parent() interpreter.Activation { return nil }

func (v *vars) ResolveName(name string) (any, bool) {
	ev := v.ev
	switch name {
	case "verb":
		return types.String(ev.Verb), true
	case "stage":
		return types.String(ev.Stage), true
	case "level":
		return types.String(ev.Level), true
	case "username":
		return types.String(v.user), true
	case "groups":
		if v.groupsV == nil {
			v.groupsV = stringList(v.groups)
		}
		return v.groupsV, true
	case "authUser":
		return types.String(ev.User.Username), true
	case "impersonatedUser":
		if v.imp == "" {
			return types.String(""), true
		}
		return types.String(v.user), true
	case "ns":
		return types.String(refField(ev, "namespace")), true
	case "resource", "subresource", "name", "apiGroup", "apiVersion":
		return types.String(refField(ev, name)), true
	case "requestURI":
		return types.String(ev.RequestURI), true
	case "userAgent":
		return types.String(ev.UserAgent), true
	case "sourceIPs":
		if v.ipsV == nil {
			v.ipsV = stringList(ev.SourceIPs)
		}
		return v.ipsV, true
	case "code":
		if ev.ResponseStatus != nil {
			return types.Int(ev.ResponseStatus.Code), true
		}
		return types.Int(0), true
	case "reason":
		if ev.ResponseStatus != nil {
			return types.String(ev.ResponseStatus.Reason), true
		}
		return types.String(""), true
	case "message":
		if ev.ResponseStatus != nil {
			return types.String(ev.ResponseStatus.Message), true
		}
		return types.String(""), true
	case "annotations":
		if v.annV == nil {
			v.annV = types.NewStringStringMap(types.DefaultTypeAdapter, ev.Annotations)
		}
		return v.annV, true
	case "request":
		v.decodeRequest()
		return v.req, true
	case "response":
		v.decodeResponse()
		return v.resp, true
	case "object":
		return v.object(), true
	case "pod":
		v.podSpec()
		return v.pod, true
	case "containers":
		if v.containers == nil {
			v.podSpec()
			var cs []any
			for _, k := range []string{"initContainers", "containers", "ephemeralContainers"} {
				if l, ok := v.podMap[k].([]any); ok {
					cs = append(cs, l...)
				}
			}
			v.containers = types.NewDynamicList(types.DefaultTypeAdapter, cs)
		}
		return v.containers, true
	case "command":
		if v.cmd == nil {
			v.cmd = stringList(execCommand(ev.RequestURI))
		}
		return v.cmd, true
	}
	return nil, false
}

// stringList converts once: every rule reading the list shares the CEL strings, instead of
// converting an element each time a rule reads it.
func stringList(xs []string) ref.Val {
	if len(xs) == 0 {
		return emptyList
	}
	vs := make([]ref.Val, len(xs))
	for i, x := range xs {
		vs[i] = types.String(x)
	}
	return types.NewRefValList(types.DefaultTypeAdapter, vs)
}

func refField(ev *audit.Event, name string) string {
	r := ev.ObjectRef
	if r == nil {
		return ""
	}
	switch name {
	case "resource":
		return r.Resource
	case "subresource":
		return r.Subresource
	case "namespace":
		return r.Namespace
	case "name":
		return r.Name
	case "apiGroup":
		return r.APIGroup
	default:
		return r.APIVersion
	}
}

// objectJSON decodes request and response objects into maps: json-iterator in its
// standard-library-compatible mode, about twice as fast as encoding/json for this (the
// largest cost of evaluating an event that carries an object).
var objectJSON = jsoniter.ConfigCompatibleWithStandardLibrary

func decodeObject(raw []byte) map[string]any {
	if len(raw) == 0 || raw[0] != '{' {
		return nil // absent, or a JSON patch (an array)
	}
	var m map[string]any
	if objectJSON.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

func wrap(m map[string]any) ref.Val {
	if m == nil {
		return emptyMap
	}
	return types.NewStringInterfaceMap(types.DefaultTypeAdapter, m)
}

func (v *vars) decodeRequest() {
	if v.decodedReq {
		return
	}
	v.decodedReq = true
	if v.ev.RequestObject != nil {
		v.reqMap = decodeObject(v.ev.RequestObject.Raw)
	}
	v.req = wrap(v.reqMap)
}

func (v *vars) decodeResponse() {
	if v.decodedR {
		return
	}
	v.decodedR = true
	if v.ev.ResponseObject != nil {
		v.respMap = decodeObject(v.ev.ResponseObject.Raw)
	}
	v.resp = wrap(v.respMap)
}

func (v *vars) object() ref.Val {
	if v.obj != nil {
		return v.obj
	}
	v.decodeResponse()
	if k, _ := v.respMap["kind"].(string); k != "" && k != "Status" && !strings.HasSuffix(k, "List") {
		v.objMap, v.obj = v.respMap, v.resp
		return v.obj
	}
	v.decodeRequest()
	v.objMap, v.obj = v.reqMap, v.req
	return v.obj
}

// podSpec finds the pod spec of the object by its kind.
func (v *vars) podSpec() {
	if v.pod != nil {
		return
	}
	v.object()
	m := v.objMap
	var path []string
	switch k, _ := m["kind"].(string); k {
	case "Pod":
		path = []string{"spec"}
	case "CronJob":
		path = []string{"spec", "jobTemplate", "spec", "template", "spec"}
	case "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController":
		path = []string{"spec", "template", "spec"}
	case "PodTemplate":
		path = []string{"template", "spec"}
	}
	var spec map[string]any
	if path != nil {
		spec = m
		for _, p := range path {
			spec, _ = spec[p].(map[string]any)
		}
	}
	v.podMap = spec
	v.pod = wrap(spec)
}

// execCommand reads the command of an exec request: /api/v1/namespaces/ns/pods/p/exec?command=sh&command=-c&...
func execCommand(uri string) []string {
	i := strings.IndexByte(uri, '?')
	if i < 0 || !strings.Contains(uri[i:], "command=") {
		return nil
	}
	q, err := url.ParseQuery(uri[i+1:])
	if err != nil {
		return nil
	}
	return q["command"]
}

// text renders a value for an output template.
func (v *vars) text(name string) string {
	ev := v.ev
	switch name {
	case "username":
		return v.user
	case "groups":
		return strings.Join(v.groups, ",")
	case "authUser":
		return ev.User.Username
	case "impersonatedUser":
		if v.imp == "" {
			return ""
		}
		return v.user
	case "verb":
		return ev.Verb
	case "verbed":
		return pastTense(ev.Verb)
	case "resource", "subresource", "namespace", "name", "apiGroup":
		return refField(ev, name)
	case "object":
		r := ev.ObjectRef
		if r == nil {
			return ev.RequestURI
		}
		s := r.Resource
		if r.Subresource != "" {
			s += "/" + r.Subresource
		}
		if r.Namespace != "" {
			s += " " + r.Namespace + "/" + r.Name
		} else if r.Name != "" {
			s += " " + r.Name
		}
		return s
	case "requestURI":
		return ev.RequestURI
	case "userAgent":
		return ev.UserAgent
	case "sourceIP":
		if len(ev.SourceIPs) > 0 {
			return ev.SourceIPs[0]
		}
		return ""
	case "code":
		if ev.ResponseStatus != nil {
			return strconv.Itoa(int(ev.ResponseStatus.Code))
		}
		return ""
	case "message":
		if ev.ResponseStatus != nil {
			return ev.ResponseStatus.Message
		}
		return ""
	case "command":
		return strings.Join(execCommand(ev.RequestURI), " ")
	case "container":
		i := strings.IndexByte(ev.RequestURI, '?')
		if i < 0 {
			return ""
		}
		q, _ := url.ParseQuery(ev.RequestURI[i+1:])
		return q.Get("container")
	}
	return ""
}

// maxCSRRequest bounds the spec.request csrSubject decodes, in base64 characters. A
// PKCS#10 request with an RSA 4096 key and a few names is about 2.5 KB of base64; the API
// server itself bounds the whole object (3 MiB in etcd), not the request.
const maxCSRRequest = 64 << 10

// csrSubjectFunction declares csrSubject(string): the subject of a CSR's spec.request.
var csrSubjectFunction = cel.Function("csrSubject",
	cel.Overload("csrSubject_string", []*cel.Type{cel.StringType}, cel.MapType(cel.StringType, cel.DynType),
		cel.UnaryBinding(func(arg ref.Val) ref.Val {
			s, ok := arg.(types.String)
			if !ok {
				return types.MaybeNoSuchOverloadErr(arg)
			}
			cn, orgs, err := csrSubject(string(s))
			if err != nil {
				return types.NewErr("csrSubject: %v", err)
			}
			return types.NewStringInterfaceMap(types.DefaultTypeAdapter, map[string]any{
				"commonName": cn, "organizations": orgs,
			})
		})))

// csrSubject reads spec.request of a CertificateSigningRequest as an audit event holds it
// (the object's JSON, where the PEM bytes are base64) and returns the subject's common name
// and organizations: the user name and groups the API server would take from a
// certificate issued for it. Like the API server (certificates.ParseCSR), it reads the
// first PEM block, which must be a CERTIFICATE REQUEST; the signature is not checked.
func csrSubject(request string) (cn string, orgs []string, err error) {
	if len(request) > maxCSRRequest {
		return "", nil, fmt.Errorf("request of %d bytes is over the limit of %d", len(request), maxCSRRequest)
	}
	pemBytes, err := base64.StdEncoding.DecodeString(request)
	if err != nil {
		return "", nil, errors.New("request is not base64")
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return "", nil, errors.New("request holds no PEM block of type CERTIFICATE REQUEST")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return "", nil, fmt.Errorf("request is not a PKCS#10 certificate request: %v", err)
	}
	orgs = csr.Subject.Organization
	if orgs == nil {
		orgs = []string{}
	}
	return csr.Subject.CommonName, orgs, nil
}

// pastTense turns a request verb into words for a message: "create" → "created".
func pastTense(verb string) string {
	switch verb {
	case "get":
		return "read"
	case "deletecollection":
		return "deleted a collection of"
	case "":
		return ""
	}
	if strings.HasSuffix(verb, "e") {
		return verb + "d"
	}
	if strings.HasSuffix(verb, "ch") {
		return verb + "ed"
	}
	return verb + "ed"
}
