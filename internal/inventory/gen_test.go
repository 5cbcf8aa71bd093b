package inventory

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// manifestGen writes realistic, mixed manifests: the workloads, services, RBAC and
// policy objects of many small applications, with the odd List and custom resource.
// It is the input of the benchmark and of the streaming memory test.
type manifestGen struct {
	i       int
	comment int // bytes of comment to write before each document
}

// kinds is how often each kind appears in one round of the generator, roughly the mix
// of a real application repository.
var genKinds = []string{
	"Deployment", "Service", "ConfigMap", "ServiceAccount", "Deployment", "Service",
	"Role", "RoleBinding", "Ingress", "NetworkPolicy", "StatefulSet", "CronJob",
	"Secret", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor",
	"Deployment", "DaemonSet", "Job", "List",
}

// next writes one document (a List holds three objects) and returns how many objects it holds.
func (g *manifestGen) next(w *bytes.Buffer) int {
	i := g.i
	g.i++
	kind := genKinds[i%len(genKinds)]
	app := fmt.Sprintf("app-%d", i/len(genKinds))
	ns := fmt.Sprintf("team-%d", i%7)
	if g.comment > 0 {
		line := "# " + strings.Repeat("This manifest is generated for the streaming test. ", 2) + "\n"
		for n := 0; n < g.comment; n += len(line) {
			w.WriteString(line)
		}
	}
	w.WriteString("---\n")
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet":
		api := "apps/v1"
		fmt.Fprintf(w, "apiVersion: %s\nkind: %s\nmetadata:\n  name: %s-%d\n  namespace: %s\n  labels:\n    app.kubernetes.io/name: %s\n    app.kubernetes.io/part-of: shop\n  annotations:\n    deployment.kubernetes.io/revision: \"3\"\nspec:\n", api, kind, app, i, ns, app)
		if kind != "DaemonSet" {
			w.WriteString("  replicas: 3\n")
		}
		if kind == "StatefulSet" {
			fmt.Fprintf(w, "  serviceName: %s\n", app)
		}
		writePodTemplate(w, app, i)
	case "Job":
		fmt.Fprintf(w, "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: %s-migrate-%d\n  namespace: %s\nspec:\n  backoffLimit: 2\n", app, i, ns)
		writePodTemplate(w, app, i)
	case "CronJob":
		fmt.Fprintf(w, "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: %s-report-%d\n  namespace: %s\nspec:\n  schedule: \"*/15 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n          - name: report\n            image: registry.example.com/shop/report:1.4.%d\n            args: [\"--since\", \"15m\"]\n            resources:\n              limits: {cpu: 200m, memory: 128Mi}\n", app, i, ns, i%10)
	case "Service":
		fmt.Fprintf(w, "apiVersion: v1\nkind: Service\nmetadata:\n  name: %s-%d\n  namespace: %s\nspec:\n  type: ClusterIP\n  selector:\n    app.kubernetes.io/name: %s\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n    protocol: TCP\n", app, i, ns, app)
	case "ConfigMap":
		fmt.Fprintf(w, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s-config-%d\n  namespace: %s\ndata:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: \"checkout,search\"\n  app.properties: |\n    server.port=8080\n    cache.ttl=300\n", app, i, ns)
	case "Secret":
		fmt.Fprintf(w, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s-db-%d\n  namespace: %s\ntype: Opaque\ndata:\n  username: c2hvcA==\n  password: czNjcjN0LXBhc3N3b3Jk\n", app, i, ns)
	case "ServiceAccount":
		fmt.Fprintf(w, "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: %s-%d\n  namespace: %s\nautomountServiceAccountToken: false\n", app, i, ns)
	case "Role":
		fmt.Fprintf(w, "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: %s-reader-%d\n  namespace: %s\nrules:\n- apiGroups: [\"\"]\n  resources: [\"configmaps\", \"pods\"]\n  verbs: [\"get\", \"list\", \"watch\"]\n- apiGroups: [\"apps\"]\n  resources: [\"deployments\"]\n  verbs: [\"get\"]\n", app, i, ns)
	case "RoleBinding":
		fmt.Fprintf(w, "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: %s-reader-%d\n  namespace: %s\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: %s-reader\nsubjects:\n- kind: ServiceAccount\n  name: %s\n  namespace: %s\n", app, i, ns, app, app, ns)
	case "Ingress":
		fmt.Fprintf(w, "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: %s-%d\n  namespace: %s\n  annotations:\n    nginx.ingress.kubernetes.io/ssl-redirect: \"true\"\nspec:\n  ingressClassName: nginx\n  tls:\n  - hosts: [\"%s.example.com\"]\n    secretName: %s-tls\n  rules:\n  - host: %s.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: %s\n            port:\n              number: 80\n", app, i, ns, app, app, app, app)
	case "NetworkPolicy":
		fmt.Fprintf(w, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: %s-%d\n  namespace: %s\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: ingress-nginx\n    ports:\n    - port: 8080\n      protocol: TCP\n  egress:\n  - to:\n    - podSelector: {}\n", app, i, ns, app)
	case "HorizontalPodAutoscaler":
		fmt.Fprintf(w, "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: %s-%d\n  namespace: %s\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: %s\n  minReplicas: 2\n  maxReplicas: 10\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target:\n        type: Utilization\n        averageUtilization: 70\n", app, i, ns, app)
	case "PodDisruptionBudget":
		fmt.Fprintf(w, "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: %s-%d\n  namespace: %s\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n", app, i, ns, app)
	case "ServiceMonitor":
		fmt.Fprintf(w, "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: %s-%d\n  namespace: %s\nspec:\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n  endpoints:\n  - port: http\n    interval: 30s\n", app, i, ns, app)
	case "List":
		fmt.Fprintf(w, "apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: \"\"\nitems:\n")
		for k := 0; k < 3; k++ {
			fmt.Fprintf(w, "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: %s-listed-%d-%d\n    namespace: %s\n    resourceVersion: \"%d\"\n    uid: 6b1c1d5e-%04d-4c8e-9a57-0d3b2f1e%04d\n  data:\n    key: value-%d\n", app, i, k, ns, 1000+i, k, i%10000, k)
		}
		return 3
	}
	return 1
}

func writePodTemplate(w *bytes.Buffer, app string, i int) {
	fmt.Fprintf(w, `  selector:
    matchLabels:
      app.kubernetes.io/name: %[1]s
  template:
    metadata:
      labels:
        app.kubernetes.io/name: %[1]s
    spec:
      serviceAccountName: %[1]s
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
      - name: app
        image: registry.example.com/shop/%[1]s:1.%[2]d.0
        imagePullPolicy: IfNotPresent
        args: ["--port=8080", "--log-format=json"]
        ports:
        - name: http
          containerPort: 8080
          protocol: TCP
        env:
        - name: DB_HOST
          value: postgres.%[1]s.svc
        - name: DB_PASSWORD
          valueFrom:
            secretKeyRef:
              name: %[1]s-db
              key: password
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
          limits:
            cpu: "1"
            memory: 512Mi
        readinessProbe:
          httpGet:
            path: /healthz
            port: http
          periodSeconds: 10
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities:
            drop: ["ALL"]
        volumeMounts:
        - name: tmp
          mountPath: /tmp
      - name: proxy
        image: envoyproxy/envoy:v1.31.2
        ports:
        - containerPort: 9901
      volumes:
      - name: tmp
        emptyDir: {}
`, app, i%50)
}

// genManifests returns n objects' worth of manifests in one stream.
func genManifests(n int) []byte {
	var b bytes.Buffer
	g := &manifestGen{}
	for objs := 0; objs < n; {
		objs += g.next(&b)
	}
	return b.Bytes()
}

// genReader streams generated manifests until at least size bytes were produced,
// without ever holding more than one document.
type genReader struct {
	g       manifestGen
	size    int64
	emitted int64
	objects int
	buf     bytes.Buffer
}

func (r *genReader) Read(p []byte) (int, error) {
	for r.buf.Len() == 0 {
		if r.emitted >= r.size {
			return 0, io.EOF
		}
		r.objects += r.g.next(&r.buf)
	}
	n, _ := r.buf.Read(p)
	r.emitted += int64(n)
	return n, nil
}
