package pss

import (
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// Where results land: one per failing container, volume or pod-level field, with the
// library's words for that part alone.
func TestLocate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rule    string
		version string
		yaml    string
		want    []string // "PATH: MESSAGE"
	}{
		{
			name: "privileged init, regular and ephemeral containers give one result each",
			rule: "pod/privileged-container",
			yaml: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - {name: init, image: i, securityContext: {privileged: true}}
  containers:
  - {name: ok, image: i}
  - {name: app, image: i, securityContext: {privileged: true}}
  ephemeralContainers:
  - {name: debug, image: i, securityContext: {privileged: true}}
`,
			want: []string{
				`spec.initContainers[0].securityContext.privileged: privileged (container "init" must not set securityContext.privileged=true)`,
				`spec.containers[1].securityContext.privileged: privileged (container "app" must not set securityContext.privileged=true)`,
				`spec.ephemeralContainers[0].securityContext.privileged: privileged (container "debug" must not set securityContext.privileged=true)`,
			},
		},
		{
			name: "hostNetwork and hostPID give one result each at their own field",
			rule: "pod/host-namespaces",
			yaml: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: d}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      hostNetwork: true
      hostPID: true
      hostIPC: false
      containers: [{name: c, image: i}]
`,
			want: []string{
				"spec.template.spec.hostNetwork: host namespaces (hostNetwork=true)",
				"spec.template.spec.hostPID: host namespaces (hostPID=true)",
			},
		},
		{
			name: "a pod-level runAsNonRoot=false is reported once at the pod, not for every container",
			rule: "pod/run-as-non-root",
			yaml: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: false}
  containers: [{name: a, image: i}, {name: b, image: i}]
`,
			want: []string{"spec.securityContext.runAsNonRoot: runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)"},
		},
		{
			name: "a container that sets runAsNonRoot=false under a pod that sets true is reported alone",
			rule: "pod/run-as-non-root",
			yaml: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: a, image: i}
  - {name: b, image: i, securityContext: {runAsNonRoot: false}}
`,
			want: []string{`spec.containers[1].securityContext.runAsNonRoot: runAsNonRoot != true (container "b" must not set securityContext.runAsNonRoot=false)`},
		},
		{
			name: "unsafe sysctls of a CronJob are found under the job template",
			rule: "pod/unsafe-sysctls",
			yaml: `
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          securityContext:
            sysctls: [{name: kernel.msgmax, value: "65536"}]
          containers: [{name: c, image: i}]
`,
			want: []string{"spec.jobTemplate.spec.template.spec.securityContext.sysctls: forbidden sysctls (kernel.msgmax)"},
		},
		{
			name:    "before v1.19 a container's seccomp annotation is the cause, and the path says so",
			rule:    "pod/seccomp-profile-unconfined",
			version: "v1.18",
			yaml: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata:
      labels: {a: b}
      annotations:
        container.seccomp.security.alpha.kubernetes.io/app: unconfined
    spec:
      containers: [{name: app, image: i}, {name: other, image: i}]
`,
			want: []string{`spec.template.metadata.annotations: seccompProfile (forbidden annotation container.seccomp.security.alpha.kubernetes.io/app="unconfined")`},
		},
		{
			name:    "from v1.19 the seccomp annotations are no longer read",
			rule:    "pod/seccomp-profile-unconfined",
			version: "v1.19",
			yaml: `
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations: {seccomp.security.alpha.kubernetes.io/pod: unconfined}
spec:
  containers: [{name: app, image: i}]
`,
		},
		{
			name: "the restricted seccomp rule leaves an explicit Unconfined to the baseline rule and reports the missing profile",
			rule: "pod/seccomp-profile-missing",
			yaml: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: i, securityContext: {seccompProfile: {type: Unconfined}}}
  - {name: b, image: i}
`,
			want: []string{`spec.containers[1].securityContext.seccompProfile: seccompProfile (pod or container "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`},
		},
		{
			name: "an AppArmor field and an AppArmor annotation give one result each",
			rule: "pod/apparmor-profile-unconfined",
			yaml: `
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations: {container.apparmor.security.beta.kubernetes.io/a: unconfined}
spec:
  securityContext: {appArmorProfile: {type: Unconfined}}
  containers: [{name: a, image: i}]
`,
			want: []string{
				`spec.securityContext.appArmorProfile: forbidden AppArmor profile (pod must not set AppArmor profile type to "Unconfined")`,
				`metadata.annotations: forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/a="unconfined"")`,
			},
		},
		{
			name: "a volume written with no source is the emptyDir the API server makes of it",
			rule: "pod/restricted-volume-types",
			yaml: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: i}]
  volumes: [{name: cache}, {name: nas, nfs: {server: nas, path: /x}}]
`,
			want: []string{`spec.volumes[1]: restricted volume types (volume "nas" uses restricted volume type "nfs")`},
		},
		{
			name: "a rule that reads no volumes ignores objects without a pod template",
			rule: "pod/host-namespaces",
			yaml: `
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {hostNetwork: "true"}
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, errs := inventory.Decode(strings.NewReader(tc.yaml), "case.yaml")
			if len(errs) > 0 || len(objs) != 1 {
				t.Fatalf("decode: %v", errs)
			}
			version := tc.version
			if version == "" {
				version = "latest"
			}
			var got []string
			for _, r := range rule.Get(tc.rule).Object(&rule.Context{Options: rule.Options{PSSVersion: version}}, objs[0]) {
				got = append(got, r.Path+": "+r.Message)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}
