package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/moat-dev/moat/internal/cluster"
	"github.com/moat-dev/moat/internal/operator"
	"github.com/moat-dev/moat/internal/operator/certs"
	"github.com/moat-dev/moat/internal/operator/reports"
	"github.com/moat-dev/moat/internal/pss"
	"github.com/moat-dev/moat/internal/scan"
	"github.com/moat-dev/moat/internal/servertls"
)

type operatorFlags struct {
	kubeconfig, kubeContext string
	config, pssVersion      string
	logLevel                string

	leaderElect                   bool
	leaseNamespace, leaseName     string
	leaseDuration, renewDeadline  time.Duration
	retryPeriod                   time.Duration
	resync, debounce              time.Duration
	reportAPI                     string
	metricsAddr, healthAddr       string
	certFile, keyFile, clientCA   string
	tlsMinVersion                 string
	maxNamespaces                 int
	webhookConfigs                []string
	webhookSecret, webhookService string
	certValidity, certRenewBefore time.Duration
	certGrace                     time.Duration
	certExtraSANs                 []string
}

func newServeOperatorCmd() *cobra.Command {
	var f operatorFlags
	cmd := &cobra.Command{
		Use:   "operator",
		Short: "Keep a report per namespace current in the cluster: watch, evaluate incrementally, write Reports, serve metrics",
		Long: `moat serve operator runs in the cluster (deploy/charts/moat installs it). It watches
every kind Moat's rules read (Secrets as metadata only), evaluates them through the same
pipeline as "moat scan --cluster", and keeps one Report per namespace (moat-NAMESPACE) and
one ClusterReport (moat-cluster) current: openreports.io/v1alpha1, or wgpolicyk8s.io
PolicyReports with --report-api wgpolicyk8s. A report is split into numbered parts before
it nears the API server's object size limit.

Replicas elect a leader through a Lease; only the leader writes. With
--webhook-configuration, --webhook-secret and --webhook-service the leader also issues and
rotates the admission webhook's serving certificate and writes its caBundle.

/metrics (Prometheus), /healthz and /readyz are served over TLS at --metrics-addr when
--tls-cert and --tls-key are given; --health-addr serves only /healthz and /readyz, in
plain HTTP, for the kubelet's probes.`,
		Example: `  moat serve operator --tls-cert /etc/moat/tls/tls.crt --tls-key /etc/moat/tls/tls.key
  moat serve operator --kubeconfig ~/.kube/config --leader-elect=false --report-api wgpolicyk8s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServeOperator(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: KUBECONFIG, ~/.kube/config, or the in-cluster service account)")
	fl.StringVar(&f.kubeContext, "context", "", "kubeconfig context")
	fl.StringVar(&f.config, "config", "", "Moat's config file: exceptions and settings (default .moat.yaml when present)")
	fl.StringVar(&f.pssVersion, "pss-version", "latest", "Pod Security Standards version, v1.N or latest")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fl.BoolVar(&f.leaderElect, "leader-elect", true, "elect one writing replica through a Lease")
	fl.StringVar(&f.leaseNamespace, "lease-namespace", "", "namespace of the Lease (default: the pod's namespace, else moat-system)")
	fl.StringVar(&f.leaseName, "lease-name", "moat-operator", "name of the Lease")
	fl.DurationVar(&f.leaseDuration, "lease-duration", 15*time.Second, "how long a leader's claim holds without renewal")
	fl.DurationVar(&f.renewDeadline, "lease-renew-deadline", 10*time.Second, "how long the leader tries to renew before it gives up")
	fl.DurationVar(&f.retryPeriod, "lease-retry-period", 2*time.Second, "how often candidates try to take the lease")
	fl.DurationVar(&f.resync, "resync", 10*time.Minute, "period of the full evaluation (catches what no event says, checks the incremental state)")
	fl.DurationVar(&f.debounce, "debounce", 200*time.Millisecond, "how long changes are gathered, from the first, before they are evaluated")
	fl.StringVar(&f.reportAPI, "report-api", "openreports", "report API: openreports (openreports.io/v1alpha1) or wgpolicyk8s (wgpolicyk8s.io/v1alpha2)")
	fl.StringVar(&f.metricsAddr, "metrics-addr", ":8443", "address of the TLS server of /metrics, /healthz and /readyz (needs --tls-cert and --tls-key; empty: none)")
	fl.StringVar(&f.healthAddr, "health-addr", ":8081", "address of the plain HTTP server of /healthz and /readyz only (empty: none)")
	fl.StringVar(&f.certFile, "tls-cert", "", "PEM certificate of the metrics server (reloaded when it changes)")
	fl.StringVar(&f.keyFile, "tls-key", "", "PEM key of the metrics server")
	fl.StringVar(&f.clientCA, "client-ca", "", "PEM CA bundle: accept only metrics clients with a certificate it signed")
	fl.StringVar(&f.tlsMinVersion, "tls-min-version", "1.2", "lowest TLS version served: 1.2 or 1.3")
	fl.IntVar(&f.maxNamespaces, "metrics-max-namespaces", operator.DefaultMaxNamespaces, "most namespaces named in the findings metric's labels (the rest count as other)")
	fl.StringArrayVar(&f.webhookConfigs, "webhook-configuration", nil, "ValidatingWebhookConfiguration whose caBundle the operator writes (repeatable)")
	fl.StringVar(&f.webhookSecret, "webhook-secret", "", "NS/NAME of the webhook's TLS Secret, issued and rotated by the operator")
	fl.StringVar(&f.webhookService, "webhook-service", "", "NS/NAME of the webhook's Service: its DNS names go in the certificate")
	fl.DurationVar(&f.certValidity, "cert-validity", certs.DefaultValidity, "lifetime of the webhook's serving certificate")
	fl.DurationVar(&f.certRenewBefore, "cert-renew-before", certs.DefaultRenewBefore, "renew the serving certificate this long before it expires")
	fl.DurationVar(&f.certGrace, "cert-grace", certs.DefaultGrace, "how long a new Secret or caBundle takes to reach the webhook and the API server (at most half of --cert-renew-before)")
	fl.StringArrayVar(&f.certExtraSANs, "cert-extra-san", nil, "another DNS name or IP address for the webhook's certificate, for a webhook reached by URL (repeatable)")
	return cmd
}

func runServeOperator(cmd *cobra.Command, f operatorFlags) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	if err := pss.ParseVersion(f.pssVersion); err != nil {
		return fmt.Errorf("--pss-version: %w", err)
	}
	api, err := reports.ParseAPI(f.reportAPI)
	if err != nil {
		return fmt.Errorf("--report-api: %w", err)
	}
	rotation, err := f.certOptions(log)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	for _, w := range cfg.WarningList() {
		log.Warn("config", "warning", w)
	}
	rc, err := cluster.Config{Kubeconfig: f.kubeconfig, Context: f.kubeContext}.RESTConfig()
	if err != nil {
		return err
	}
	if rc.QPS == 0 {
		// client-go's default of 5 requests a second would make the first write of a
		// few hundred namespaces' reports take minutes; the server's priority and
		// fairness still applies.
		rc.QPS, rc.Burst = 50, 100
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	writer, err := reports.NewWriterForConfig(rc, reports.Options{API: api})
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	metrics := operator.NewMetrics(reg, f.maxNamespaces)
	op, err := operator.New(operator.Options{
		Config:    rc,
		Evaluator: scan.NewEvaluator(scan.Options{PSSVersion: f.pssVersion, Config: cfg, ShowSuppressed: true, ToolVersion: version}),
		Reports:   writer,
		Debounce:  f.debounce,
		Resync:    f.resync,
		Metrics:   metrics,
		Log:       log,
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	servers, err := f.startServers(ctx, op, reg, log)
	if err != nil {
		return err
	}
	op.Start(ctx)

	lead := func(ctx context.Context) {
		if rotation != nil {
			go func() {
				if err := certs.New(cs, *rotation).Run(ctx); err != nil && ctx.Err() == nil {
					log.Error("webhook certificates", "err", err)
				}
			}()
		}
		if err := op.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("operator stopped", "err", err)
		}
	}
	log.Info("operator starting", "reportAPI", api.String(), "leaderElect", f.leaderElect, "resync", f.resync, "debounce", f.debounce)
	if !f.leaderElect {
		metrics.SetLeader(true)
		lead(ctx)
	} else {
		identity, _ := os.Hostname()
		identity += "_" + fmt.Sprint(os.Getpid())
		err = operator.RunElected(ctx, cs, operator.Lease{
			Namespace: f.leaseNS(), Name: f.leaseName, Identity: identity,
			Duration: f.leaseDuration, RenewDeadline: f.renewDeadline, RetryPeriod: f.retryPeriod,
		}, log, metrics, lead)
	}
	stop()
	if serr := servers(); serr != nil && err == nil {
		err = serr
	}
	log.Info("stopped", "err", err)
	return err
}

// startServers starts the metrics and health servers; the function returned waits for
// them to stop (after ctx ends) and gives their error.
func (f operatorFlags) startServers(ctx context.Context, op *operator.Operator, reg *prometheus.Registry, log *slog.Logger) (func() error, error) {
	errs := make(chan error, 2)
	n := 0
	if f.metricsAddr != "" && (f.certFile != "" || f.keyFile != "") {
		minVersion, err := servertls.ParseMinVersion(f.tlsMinVersion)
		if err != nil {
			return nil, fmt.Errorf("--tls-min-version: %w", err)
		}
		tc, err := servertls.Config(servertls.Options{CertFile: f.certFile, KeyFile: f.keyFile, ClientCAFile: f.clientCA, MinVersion: minVersion, Logger: log})
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", f.metricsAddr)
		if err != nil {
			return nil, fmt.Errorf("--metrics-addr: %w", err)
		}
		log.Info("serving metrics over TLS", "addr", ln.Addr().String(), "clientCA", f.clientCA)
		n++
		go func() { errs <- operator.Serve(ctx, ln, operator.MetricsHandler(reg, op.Ready), tc, log) }()
	} else if f.metricsAddr != "" && f.metricsAddr != ":8443" {
		return nil, errors.New("--metrics-addr needs --tls-cert and --tls-key: metrics are served over TLS only")
	}
	if f.healthAddr != "" {
		ln, err := net.Listen("tcp", f.healthAddr)
		if err != nil {
			return nil, fmt.Errorf("--health-addr: %w", err)
		}
		log.Info("serving health probes", "addr", ln.Addr().String())
		n++
		go func() { errs <- operator.Serve(ctx, ln, operator.Health(op.Ready), nil, log) }()
	}
	return func() error {
		var all []error
		for range n {
			all = append(all, <-errs)
		}
		return errors.Join(all...)
	}, nil
}

// leaseNS is the Lease's namespace: the flag, else the pod's own namespace.
func (f operatorFlags) leaseNS() string {
	if f.leaseNamespace != "" {
		return f.leaseNamespace
	}
	if b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil && len(b) > 0 && len(b) < 254 {
		return strings.TrimSpace(string(b))
	}
	return "moat-system"
}

// certOptions are the webhook certificate rotation's options, or nil when the operator
// does not manage them.
func (f operatorFlags) certOptions(log *slog.Logger) (*certs.Options, error) {
	if f.webhookSecret == "" && f.webhookService == "" && len(f.webhookConfigs) == 0 {
		return nil, nil
	}
	if f.webhookSecret == "" || f.webhookService == "" || len(f.webhookConfigs) == 0 {
		return nil, errors.New("--webhook-configuration, --webhook-secret and --webhook-service go together")
	}
	secret, err := certs.ParseNamespacedName(f.webhookSecret)
	if err != nil {
		return nil, fmt.Errorf("--webhook-secret: %w", err)
	}
	svc, err := certs.ParseNamespacedName(f.webhookService)
	if err != nil {
		return nil, fmt.Errorf("--webhook-service: %w", err)
	}
	opt := &certs.Options{Secret: secret, Service: svc, Webhooks: f.webhookConfigs, Validity: f.certValidity,
		RenewBefore: f.certRenewBefore, Grace: f.certGrace, ExtraSANs: f.certExtraSANs, Logger: log}
	if err := opt.Validate(); err != nil {
		return nil, fmt.Errorf("webhook certificates (--cert-*): %w", err)
	}
	return opt, nil
}
