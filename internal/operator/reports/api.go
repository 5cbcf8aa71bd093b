package reports

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// API is a report API Moat can write.
type API int

const (
	// OpenReports is openreports.io/v1alpha1: Report and ClusterReport.
	OpenReports API = iota
	// WGPolicy is wgpolicyk8s.io/v1alpha2: PolicyReport and ClusterPolicyReport, the
	// format `moat scan -o policyreport` renders.
	WGPolicy
)

// apiInfo is what differs between the two APIs: their group, version and names. The
// results, summary and metadata are the same in both.
type apiInfo struct {
	flag                      string // the value of --report-api
	gv                        schema.GroupVersion
	kind, clusterKind         string
	resource, clusterResource string
	reportSource              bool // the report itself has a "source" field
}

var apis = [...]apiInfo{
	OpenReports: {
		flag:            "openreports",
		gv:              schema.GroupVersion{Group: "openreports.io", Version: "v1alpha1"},
		kind:            "Report",
		clusterKind:     "ClusterReport",
		resource:        "reports",
		clusterResource: "clusterreports",
		reportSource:    true,
	},
	WGPolicy: {
		flag:            "wgpolicyk8s",
		gv:              schema.GroupVersion{Group: "wgpolicyk8s.io", Version: "v1alpha2"},
		kind:            "PolicyReport",
		clusterKind:     "ClusterPolicyReport",
		resource:        "policyreports",
		clusterResource: "clusterpolicyreports",
	},
}

// ParseAPI reads the value of --report-api: "openreports" or "wgpolicyk8s".
func ParseAPI(name string) (API, error) {
	for i, a := range apis {
		if strings.EqualFold(name, a.flag) {
			return API(i), nil
		}
	}
	return 0, fmt.Errorf("unknown report API %q (want openreports or wgpolicyk8s)", name)
}

func (a API) info() apiInfo {
	if a < 0 || int(a) >= len(apis) {
		return apis[OpenReports]
	}
	return apis[a]
}

// String is the API's name as --report-api takes it.
func (a API) String() string {
	if a < 0 || int(a) >= len(apis) {
		return "api(" + strconv.Itoa(int(a)) + ")"
	}
	return apis[a].flag
}

// Resources are the API's resources: the namespaced report and the cluster report (what
// the operator's RBAC must grant, and what `kubectl moat report` reads).
func (a API) Resources() (namespaced, cluster schema.GroupVersionResource) {
	i := a.info()
	return i.gv.WithResource(i.resource), i.gv.WithResource(i.clusterResource)
}

// Kinds are the API's kinds: the namespaced report and the cluster report.
func (a API) Kinds() (namespaced, cluster schema.GroupVersionKind) {
	i := a.info()
	return i.gv.WithKind(i.kind), i.gv.WithKind(i.clusterKind)
}

// The labels and annotation on every report, and the selector that finds Moat's reports.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelName      = "app.kubernetes.io/name"
	// LabelPart is the part's number, from 1.
	LabelPart = "reports.moat.dev/part"
	// LabelParts is how many parts the report has.
	LabelParts = "reports.moat.dev/parts"
	// AnnotationHash is the sha256 of the part's content (its results without their
	// timestamps, its name and its place among the parts).
	AnnotationHash = "reports.moat.dev/hash"
	// ManagedSelector selects every report Moat manages.
	ManagedSelector = LabelManagedBy + "=moat"
)

const (
	// ClusterReportName is the name of the cluster report.
	ClusterReportName = "moat-cluster"
	// Source is the source of every result.
	Source = "moat"
	// InputErrorPolicy is the policy of results that report unreadable input.
	InputErrorPolicy = "moat/input"
	// DefaultMaxBytes is MaxBytes when Options leaves it 0: the API server refuses
	// objects over 1.5 MiB by default (etcd's request limit alike), and a report well
	// under it leaves room for what the server adds.
	DefaultMaxBytes = 1 << 20
)

// ReportName is the name of the report of namespace ns ("" is the cluster report), and of
// its first part.
func ReportName(ns string) string {
	if ns == "" {
		return ClusterReportName
	}
	return "moat-" + ns
}

// PartName is the name of part n (from 1) of the report named base.
func PartName(base string, n int) string {
	if n <= 1 {
		return base
	}
	return base + "-part-" + strconv.Itoa(n)
}

// partNumber is the part a report's name says it is of the report named base, or 0
// when the name is not one of base's parts.
func partNumber(base, name string) int {
	if name == base {
		return 1
	}
	rest, ok := strings.CutPrefix(name, base+"-part-")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 2 || strconv.Itoa(n) != rest {
		return 0
	}
	return n
}
