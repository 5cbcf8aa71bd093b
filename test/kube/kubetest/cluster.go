package kubetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// ServiceClusterIPRange is the API server's --service-cluster-ip-range; the
// first address, 10.0.0.1, is the kubernetes Service's.
const ServiceClusterIPRange = "10.0.0.0/16" // room for the benchmark's thousands of Services

// ServiceAccountIssuer is the API server's --service-account-issuer.
const ServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// AdminUser is the user name of RESTConfig's identity, a member of
// system:masters.
const AdminUser = "kubetest-admin"

// DefaultControllers are the kube-controller-manager controllers that
// WithControllerManager runs when given none: service accounts ("default" in
// every namespace, which pods need to be admitted), ClusterRole aggregation
// (admin, edit and view), the kube-root-ca.crt ConfigMap that service-account
// token volumes project, and namespace deletion.
var DefaultControllers = []string{
	"serviceaccount-controller",
	"clusterrole-aggregation-controller",
	"root-ca-certificate-publisher-controller",
	"namespace-controller",
}

// Option changes how a cluster starts.
type Option func(*options)

type options struct {
	apiserverFlags []string
	controllers    []string // nil: no kube-controller-manager
	cmFlags        []string
	etcdFlags      []string
	etcdTLS        bool
	kubeletClient  bool
	namedBinaries  bool
	files          fileOptions
	timeout        time.Duration
}

// WithAPIServerFlags adds kube-apiserver flags, each "--name=value" (or
// "--name" for a boolean). A flag that the harness sets too replaces the
// harness's value, e.g. "--authorization-mode=Node,RBAC,Webhook" or
// "--enable-admission-plugins=...". Files the flags name (audit policy,
// admission configuration, webhook kubeconfig) must exist before Start.
func WithAPIServerFlags(flags ...string) Option {
	return func(o *options) { o.apiserverFlags = append(o.apiserverFlags, flags...) }
}

// WithControllerManager also runs kube-controller-manager with the given
// controllers (names as in its --controllers flag), DefaultControllers when
// none are given. Without it, no namespace gets its "default" service account,
// so creating a pod that names no existing service account is refused by the
// ServiceAccount admission plugin, as it would be in a real cluster whose
// controller manager is down.
func WithControllerManager(controllers ...string) Option {
	return func(o *options) {
		if len(controllers) == 0 {
			controllers = DefaultControllers
		}
		o.controllers = slices.Clone(controllers)
	}
}

// WithControllerManagerFlags adds kube-controller-manager flags, each
// "--name=value"; a flag the harness sets too replaces the harness's value
// (e.g. "--secure-port=10257" to serve, which the harness turns off). They
// apply when WithControllerManager is given.
func WithControllerManagerFlags(flags ...string) Option {
	return func(o *options) { o.cmFlags = append(o.cmFlags, flags...) }
}

// WithEtcdFlags adds etcd flags, each "--name=value"; a flag the harness sets
// too replaces the harness's value.
func WithEtcdFlags(flags ...string) Option {
	return func(o *options) { o.etcdFlags = append(o.etcdFlags, flags...) }
}

// WithEtcdTLS runs etcd as a kubeadm control plane does: clients and peers
// over TLS with certificates of an etcd CA of its own (PKI/etcd/ca.crt, not
// the cluster's CA), and a client certificate required of both
// (--client-cert-auth, --peer-client-cert-auth). The API server connects with
// --etcd-cafile, --etcd-certfile and --etcd-keyfile (PKI/apiserver-etcd-client.*),
// and EtcdGet with the same certificate.
func WithEtcdTLS() Option {
	return func(o *options) { o.etcdTLS = true }
}

// WithKubeletClientCert gives the API server what kubeadm gives it to call
// kubelets: a client certificate of the cluster's CA
// (PKI/apiserver-kubelet-client.crt and .key, group kubeadm:cluster-admins)
// for --kubelet-client-certificate and --kubelet-client-key, and the cluster's
// CA for --kubelet-certificate-authority. No kubelet runs here; the API server
// only loads them.
func WithKubeletClientCert() Option {
	return func(o *options) { o.kubeletClient = true }
}

// WithNamedBinaries starts each program through a symbolic link with the
// component's own name (Dir/bin/kube-apiserver, Dir/bin/etcd, ...) instead of
// the cached file's versioned name, so that its argv[0] names it as on a node:
// `moat node` finds the components by that name.
func WithNamedBinaries() Option {
	return func(o *options) { o.namedBinaries = true }
}

// WithStartTimeout bounds how long starting may take (default two minutes;
// the API server is ready in a few seconds on an idle machine).
func WithStartTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// Cluster is a running control plane.
type Cluster struct {
	// Dir holds the PKI directory, the admin kubeconfig and the processes'
	// logs (etcd.log, kube-apiserver.log, kube-controller-manager.log).
	Dir string
	// PKI is the directory of the certificates and keys (Dir/pki), laid out
	// as kubeadm lays out /etc/kubernetes/pki: ca.crt, apiserver.crt and .key,
	// sa.key and .pub, and with WithEtcdTLS etcd/ and apiserver-etcd-client.*.
	PKI string
	// Kubeconfig is the path of a kubeconfig for the admin identity.
	Kubeconfig string
	// Host is the API server's URL, https://127.0.0.1:PORT.
	Host string
	// EtcdURL is etcd's client URL on loopback (plain HTTP, HTTPS with
	// WithEtcdTLS).
	EtcdURL string

	ca       *authority
	admin    *rest.Config
	opts     options
	dataDir  string // parent of etcd's data, outside Dir when on tmpfs
	etcdData string // etcd's --data-dir
	etcdHTTP *http.Client
	etcd     *process
	api      *process
	kcm      *process
	stopOnce sync.Once
}

// Start starts a control plane for the test and stops it, removing its files,
// when the test and its subtests end, whether they pass, fail or panic. A
// missing binary skips the test, or fails it when MOAT_E2E is set.
func Start(tb testing.TB, opts ...Option) *Cluster {
	tb.Helper()
	bins, err := LookupBinaries()
	if err == nil && wantsControllerManager(opts) && bins.ControllerManager == "" {
		err = fmt.Errorf("%w: kube-controller-manager: %s is not set and it is not built; run `make e2e-deps`", ErrMissing, EnvControllerManager)
	}
	if err != nil {
		if os.Getenv(EnvE2E) == "" {
			tb.Skipf("kubetest: %v (set %s=1 to make this a failure)", err, EnvE2E)
		}
		tb.Fatalf("kubetest: %v", err)
	}
	c, err := start(bins, opts)
	if err != nil {
		tb.Fatalf("kubetest: %v", err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("kubetest: last lines of %s:\n%s", c.api.logPath, c.api.tail(15))
		}
		c.Stop()
	})
	return c
}

// New starts a control plane outside a test (see cmd/kubecluster); the caller
// must call Stop. Errors about absent binaries wrap ErrMissing.
func New(opts ...Option) (*Cluster, error) {
	bins, err := LookupBinaries()
	if err != nil {
		return nil, err
	}
	if wantsControllerManager(opts) && bins.ControllerManager == "" {
		return nil, fmt.Errorf("%w: kube-controller-manager: %s is not set and it is not built", ErrMissing, EnvControllerManager)
	}
	return start(bins, opts)
}

func wantsControllerManager(opts []Option) bool {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o.controllers != nil
}

func start(bins Binaries, opts []Option) (_ *Cluster, err error) {
	o := options{timeout: 2 * time.Minute}
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()

	dir, err := os.MkdirTemp("", "moat-kube-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, PKI: filepath.Join(dir, "pki"), Kubeconfig: filepath.Join(dir, "kubeconfig"), opts: o}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	if o.namedBinaries {
		if bins, err = linkBinaries(filepath.Join(dir, "bin"), bins); err != nil {
			return nil, err
		}
	}
	if err := c.writeCredentials(); err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	if err := c.startEtcd(ctx, bins.Etcd); err != nil {
		return nil, err
	}
	if err := c.startAPIServer(ctx, bins.APIServer); err != nil {
		return nil, err
	}
	if err := WriteKubeconfig(c.Kubeconfig, c.admin); err != nil {
		return nil, err
	}
	if err := c.opts.files.apply(c.Kubeconfig); err != nil {
		return nil, err
	}
	if o.controllers != nil {
		if err := c.startControllerManager(ctx, bins.ControllerManager, o.controllers, o.cmFlags); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Stop kills the processes and removes the cluster's files (unless
// MOAT_KUBE_KEEP is set). It may be called more than once.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		for _, p := range []*process{c.kcm, c.api, c.etcd} {
			if p != nil {
				p.stop()
			}
		}
		if os.Getenv(EnvKeep) != "" {
			fmt.Fprintf(os.Stderr, "kubetest: kept %s (etcd data in %s)\n", c.Dir, c.dataDir)
			return
		}
		if c.dataDir != "" {
			os.RemoveAll(c.dataDir)
		}
		os.RemoveAll(c.Dir)
	})
}

// Files in Dir.
const (
	caCertFile      = "ca.crt"
	servingCertFile = "apiserver.crt"
	servingKeyFile  = "apiserver.key"
	saKeyFile       = "sa.key"
	saPubFile       = "sa.pub"
	adminCertFile   = "admin.crt"
	adminKeyFile    = "admin.key"
	// With WithKubeletClientCert.
	kubeletClientCertFile = "apiserver-kubelet-client.crt"
	kubeletClientKeyFile  = "apiserver-kubelet-client.key"
)

func (c *Cluster) pki(name string) string { return filepath.Join(c.PKI, name) }

// writeCredentials makes the CA, the API server's serving certificate, the
// service-account signing key and the admin's client certificate, and etcd's
// CA and certificates when etcd runs with TLS.
func (c *Cluster) writeCredentials() error {
	if err := c.opts.files.mkdir(c.PKI); err != nil {
		return err
	}
	ca, err := newAuthority("kubetest-ca")
	if err != nil {
		return err
	}
	c.ca = ca
	servingCert, servingKey, err := ca.servingCert([]string{
		"127.0.0.1", "::1", "localhost", "10.0.0.1",
		"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
	})
	if err != nil {
		return err
	}
	saKey, saPub, err := signingKey()
	if err != nil {
		return err
	}
	adminCert, adminKey, err := ca.clientCert(AdminUser, []string{"system:masters"})
	if err != nil {
		return err
	}
	files := map[string][]byte{
		caCertFile: ca.certPEM, servingCertFile: servingCert, servingKeyFile: servingKey,
		saKeyFile: saKey, saPubFile: saPub, adminCertFile: adminCert, adminKeyFile: adminKey,
	}
	if c.opts.kubeletClient {
		cert, key, err := ca.clientCert("kube-apiserver-kubelet-client", []string{"kubeadm:cluster-admins"})
		if err != nil {
			return err
		}
		files[kubeletClientCertFile], files[kubeletClientKeyFile] = cert, key
	}
	if c.opts.etcdTLS {
		if err := c.opts.files.mkdir(c.pki(etcdDir)); err != nil {
			return err
		}
		if c.etcdHTTP, err = etcdCredentials(files); err != nil {
			return fmt.Errorf("etcd: %w", err)
		}
	} else {
		c.etcdHTTP = &http.Client{}
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := c.opts.files.write(c.pki(name), files[name]); err != nil {
			return err
		}
	}
	c.admin = &rest.Config{
		TLSClientConfig: rest.TLSClientConfig{CAData: ca.certPEM, CertData: adminCert, KeyData: adminKey},
	}
	return nil
}

// startAttempts is how often a server is started on fresh ports when a port
// it was given was taken before it could bind it.
const startAttempts = 3

func (c *Cluster) startEtcd(ctx context.Context, bin string) error {
	parent := fastDataDir()
	if parent == "" {
		parent = c.Dir
	}
	dataDir, err := os.MkdirTemp(parent, "etcd-")
	if err != nil {
		return err
	}
	c.dataDir = dataDir
	scheme := "http://"
	if c.opts.etcdTLS {
		scheme = "https://"
	}
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(2)
		if err != nil {
			return err
		}
		client := scheme + "127.0.0.1:" + strconv.Itoa(ports[0])
		peer := scheme + "127.0.0.1:" + strconv.Itoa(ports[1])
		c.etcdData = filepath.Join(dataDir, strconv.Itoa(attempt))
		args := []string{
			"--name=kubetest",
			"--data-dir=" + c.etcdData,
			"--listen-client-urls=" + client,
			"--advertise-client-urls=" + client,
			"--listen-peer-urls=" + peer,
			"--initial-advertise-peer-urls=" + peer,
			"--initial-cluster=kubetest=" + peer,
			"--initial-cluster-state=new",
			"--logger=zap",
			"--log-level=warn",
		}
		if c.opts.etcdTLS {
			args = append(args, etcdTLSFlags(c.PKI)...)
		}
		args = mergeFlags(args, c.opts.etcdFlags)
		p, err := startProcess("etcd", bin, args, c.Dir)
		if err != nil {
			return err
		}
		c.etcd = p
		err = waitFor(ctx, p, c.etcdHTTP, client+"/health", func(body string) bool {
			return strings.Contains(body, `"health":"true"`)
		})
		if err == nil {
			c.EtcdURL = client
			return nil
		}
		if !p.addrInUse() || attempt == startAttempts {
			return p.failure(err)
		}
		p.stop()
	}
}

func (c *Cluster) startAPIServer(ctx context.Context, bin string) error {
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(1)
		if err != nil {
			return err
		}
		flags := apiserverFlags(c.PKI, c.EtcdURL, ports[0], c.opts)
		p, err := startProcess("kube-apiserver", bin, flags, c.Dir)
		if err != nil {
			return err
		}
		c.api = p
		c.Host = "https://127.0.0.1:" + strconv.Itoa(ports[0])
		c.admin.Host = c.Host
		hc, err := rest.HTTPClientFor(c.admin)
		if err != nil {
			return err
		}
		err = waitFor(ctx, p, hc, c.Host+"/readyz", func(body string) bool { return body == "ok" })
		if err == nil {
			return nil
		}
		if !p.addrInUse() || attempt == startAttempts {
			return p.failure(err)
		}
		p.stop()
	}
}

// apiserverFlags are the harness's kube-apiserver flags for the options, with
// o.apiserverFlags applied: an extra flag replaces the harness's flag of the
// same name. pki is the directory of the certificates and keys.
func apiserverFlags(pki, etcd string, port int, o options) []string {
	f := func(name string) string { return filepath.Join(pki, name) }
	flags := []string{
		"--etcd-servers=" + etcd,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		// 1.37 refuses a loopback advertise address unless no endpoint
		// reconciler maintains the kubernetes Service's endpoints.
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + pki,
		"--tls-cert-file=" + f(servingCertFile),
		"--tls-private-key-file=" + f(servingKeyFile),
		"--client-ca-file=" + f(caCertFile),
		"--service-account-issuer=" + ServiceAccountIssuer,
		"--service-account-key-file=" + f(saPubFile),
		"--service-account-signing-key-file=" + f(saKeyFile),
		"--service-cluster-ip-range=" + ServiceClusterIPRange,
		"--authorization-mode=Node,RBAC",
		// Workloads with privileged containers must be admitted: finding
		// them is what Moat is for.
		"--allow-privileged=true",
	}
	if o.etcdTLS {
		flags = append(flags,
			"--etcd-cafile="+f(etcdCACertFile),
			"--etcd-certfile="+f(etcdClientCertFile),
			"--etcd-keyfile="+f(etcdClientKeyFile))
	}
	if o.kubeletClient {
		flags = append(flags,
			"--kubelet-client-certificate="+f(kubeletClientCertFile),
			"--kubelet-client-key="+f(kubeletClientKeyFile),
			"--kubelet-certificate-authority="+f(caCertFile))
	}
	return mergeFlags(flags, o.apiserverFlags)
}

// mergeFlags applies extra ("--name=value" each) to flags: an extra flag
// replaces the flag of the same name, others are appended.
func mergeFlags(flags, extra []string) []string {
	flags = slices.Clone(flags)
	for _, x := range extra {
		name, _, _ := strings.Cut(x, "=")
		i := slices.IndexFunc(flags, func(f string) bool {
			n, _, _ := strings.Cut(f, "=")
			return n == name
		})
		if i >= 0 {
			flags[i] = x
		} else {
			flags = append(flags, x)
		}
	}
	return flags
}

func (c *Cluster) startControllerManager(ctx context.Context, bin string, controllers, extra []string) error {
	args := mergeFlags([]string{
		"--kubeconfig=" + c.Kubeconfig,
		"--controllers=" + strings.Join(controllers, ","),
		"--leader-elect=false",
		"--secure-port=0", // no metrics or health endpoint: nothing to serve
		"--root-ca-file=" + c.pki(caCertFile),
		"--service-account-private-key-file=" + c.pki(saKeyFile),
	}, extra)
	p, err := startProcess("kube-controller-manager", bin, args, c.Dir)
	if err != nil {
		return err
	}
	c.kcm = p
	// Ready once the controllers that tests rely on have done their first
	// work.
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	var checks []func() (bool, error)
	if slices.Contains(controllers, "serviceaccount-controller") {
		checks = append(checks, func() (bool, error) {
			_, err := cs.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
			return err == nil, ignoreNotFound(err)
		})
	}
	if slices.Contains(controllers, "clusterrole-aggregation-controller") {
		checks = append(checks, func() (bool, error) {
			r, err := cs.RbacV1().ClusterRoles().Get(ctx, "admin", metav1.GetOptions{})
			return err == nil && len(r.Rules) > 0, ignoreNotFound(err)
		})
	}
	for _, check := range checks {
		if err := poll(ctx, p, check); err != nil {
			return p.failure(err)
		}
	}
	return nil
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// waitFor polls url until ready accepts the body of a 200 response.
func waitFor(ctx context.Context, p *process, hc *http.Client, url string, ready func(string) bool) error {
	var last string
	err := poll(ctx, p, func() (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		last = fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
		return resp.StatusCode == http.StatusOK && ready(strings.TrimSpace(string(body))), nil
	})
	if err != nil && last != "" {
		return fmt.Errorf("%w; last answer of %s: %s", err, url, lastLines(last, 20))
	}
	return err
}

// poll calls check every 100ms until it reports true or fails, the process
// exits or ctx ends. Errors from check are transient unless the process ended.
func poll(ctx context.Context, p *process, check func() (bool, error)) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		ok, err := check()
		if ok {
			return nil
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-p.done:
			return errors.New("exited before it was ready")
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("not ready in time: %w", lastErr)
			}
			return errors.New("not ready in time")
		case <-tick.C:
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// RESTConfig returns a new config for the admin identity (AdminUser in
// system:masters, by client certificate). Client-side rate limiting is off:
// tests that load many objects should not wait on the client's default 5 QPS.
func (c *Cluster) RESTConfig() *rest.Config {
	cfg := rest.CopyConfig(c.admin)
	cfg.QPS = -1
	return cfg
}

// CACert returns the PEM certificate of the cluster's CA, which signed the API
// server's certificate and every client certificate the API server accepts.
func (c *Cluster) CACert() []byte { return slices.Clone(c.ca.certPEM) }

// CAFile is the path of CACert's file.
func (c *Cluster) CAFile() string { return c.pki(caCertFile) }

// IssueServingCert issues a TLS server certificate for hosts (DNS names or IP
// addresses) signed by the cluster's CA, e.g. for a webhook the API server
// calls with CACert as its caBundle.
func (c *Cluster) IssueServingCert(hosts ...string) (certPEM, keyPEM []byte, err error) {
	if len(hosts) == 0 {
		return nil, nil, errors.New("kubetest: a serving certificate needs a host")
	}
	return c.ca.servingCert(hosts)
}

// UserConfig returns a config that authenticates as user, member of groups,
// with a client certificate signed by the cluster's CA. RBAC grants such a
// user nothing beyond the system:authenticated defaults until bound.
func (c *Cluster) UserConfig(user string, groups ...string) (*rest.Config, error) {
	if user == "" {
		return nil, errors.New("kubetest: empty user name")
	}
	cert, key, err := c.ca.clientCert(user, groups)
	if err != nil {
		return nil, err
	}
	return &rest.Config{
		Host:            c.Host,
		QPS:             -1,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.ca.certPEM, CertData: cert, KeyData: key},
	}, nil
}

// ServiceAccountConfig returns a config that authenticates as the service
// account namespace/name with a one-hour token from the TokenRequest API. It
// creates the service account when it does not exist (its namespace must).
func (c *Cluster) ServiceAccountConfig(ctx context.Context, namespace, name string) (*rest.Config, error) {
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return nil, err
	}
	sas := cs.CoreV1().ServiceAccounts(namespace)
	_, err = sas.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("kubetest: service account %s/%s: %w", namespace, name, err)
	}
	expiry := int64(time.Hour / time.Second)
	tr, err := sas.CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("kubetest: token for service account %s/%s: %w", namespace, name, err)
	}
	return &rest.Config{
		Host:            c.Host,
		QPS:             -1,
		BearerToken:     tr.Status.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.ca.certPEM},
	}, nil
}

// Err reports a program of the cluster that has ended, or nil while all run.
func (c *Cluster) Err() error {
	for _, p := range []*process{c.etcd, c.api, c.kcm} {
		if p == nil {
			continue
		}
		if done, _ := p.exited(); done {
			return p.failure(errors.New("stopped unexpectedly"))
		}
	}
	return nil
}

// Pids returns the process ids of the running programs by name (etcd,
// kube-apiserver, kube-controller-manager), e.g. to measure their memory.
func (c *Cluster) Pids() map[string]int {
	m := map[string]int{}
	for _, p := range []*process{c.etcd, c.api, c.kcm} {
		if p != nil {
			m[p.name] = p.cmd.Process.Pid
		}
	}
	return m
}
