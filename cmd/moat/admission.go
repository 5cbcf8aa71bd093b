package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"

	"github.com/moat-dev/moat/internal/admission"
	"github.com/moat-dev/moat/internal/admission/imagesig"
	"github.com/moat-dev/moat/internal/admission/manifests"
	"github.com/moat-dev/moat/internal/admission/webhook"
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/image/registry"
	"github.com/moat-dev/moat/internal/image/sign"
	"github.com/moat-dev/moat/internal/pss"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/servertls"
)

type admissionFlags struct {
	addr, certFile, keyFile, config, pssVersion, logLevel string
	clientCA, tlsMinVersion                               string
	pprofAddr                                             string
	timeout                                               time.Duration
	maxBody                                               int64
	maxConcurrent                                         int

	printManifests   bool
	namespace, image string
	replicas         int32
	caBundle         string
	registryEgress   []string

	trustedRoot      string
	insecureRegistry bool
}

func newServeAdmissionCmd() *cobra.Command {
	var f admissionFlags
	cmd := &cobra.Command{
		Use:   "admission --tls-cert FILE --tls-key FILE [--client-ca FILE] [--config FILE]",
		Short: "Serve the validating admission webhook: the rules of moat scan at the cluster's door",
		Long: `Serve AdmissionReview (admission.k8s.io/v1) at /validate over HTTPS, with /healthz, /readyz
and /metrics. Each object is judged by the object checks of moat scan, with the exceptions
of the config file; the admission: section of that file says which findings deny
(enforce), warn or are only recorded (audit), and which namespaces, users and groups are
exempt. The certificate and key are reloaded when they change on disk. TLS 1.2 offers only
ECDHE suites with AES-GCM or ChaCha20-Poly1305; TLS 1.3 is used whenever the client has it.

At most --max-concurrent reviews run at a time (a review of a large object counts once per
256 KiB); a request beyond that is refused at once with code 429 and "retry after 1 s",
which kubectl and controllers do on their own, and counted in moat_admission_shed_total.
A response names at most 10 denying findings and 20 warnings, with the count of the rest.

--client-ca makes the webhook accept only clients with a certificate signed by that CA: the
API server presents one when its --admission-control-config-file names a kubeconfig for
the webhook's host:

  # admission-config.yaml, given to kube-apiserver --admission-control-config-file
  apiVersion: apiserver.config.k8s.io/v1
  kind: AdmissionConfiguration
  plugins:
  - name: ValidatingAdmissionWebhook
    configuration:
      apiVersion: apiserver.config.k8s.io/v1
      kind: WebhookAdmissionConfiguration
      kubeConfigFile: /etc/kubernetes/moat-webhook-kubeconfig.yaml

  # moat-webhook-kubeconfig.yaml: the user entry is named for the Service's DNS name
  # (moat-admission.moat-system.svc, or *.moat-system.svc; add :PORT unless it is 443)
  apiVersion: v1
  kind: Config
  users:
  - name: moat-admission.moat-system.svc
    user:
      client-certificate: /etc/kubernetes/pki/moat-webhook-client.crt
      client-key: /etc/kubernetes/pki/moat-webhook-client.key

Mount the CA that signed that client certificate into the webhook's pod and pass it as
--client-ca; without --client-ca any client that reaches the Service is answered.

When the config file has a signing policy (images.signatures), the images of pods and
pod controllers it names must carry a signature it accepts, or the request is denied with
a finding of image/signature-missing. The webhook then reads registries: tags are resolved
and signatures fetched within admission.imageSignatures.timeout (default 2s, below
--timeout), verified digests are remembered for admission.imageSignatures.cacheTTL
(default 10m), and a registry that cannot be read refuses the request unless
admission.imageSignatures.failurePolicy is Allow (admitted with a warning). Registry
credentials are the Docker config's (DOCKER_CONFIG). See docs/admission.md.

--print-manifests prints what runs it in a cluster instead: Namespace, ServiceAccount,
Deployment, PodDisruptionBudget, Service, NetworkPolicy and ValidatingWebhookConfiguration.
With --registry-egress CIDR,... the NetworkPolicy lets the webhook reach DNS and those
blocks on port 443, which the signature check needs (0.0.0.0/0,::/0 for any registry).`,
		Example: `  moat serve admission --tls-cert /etc/moat/tls/tls.crt --tls-key /etc/moat/tls/tls.key --config /etc/moat/moat.yaml
  moat serve admission --tls-cert tls.crt --tls-key tls.key --client-ca apiserver-client-ca.crt --tls-min-version 1.3
  moat serve admission --print-manifests --image ghcr.io/moat-dev/moat@sha256:... | kubectl apply -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.printManifests {
				return printAdmissionManifests(cmd, f)
			}
			return runServeAdmission(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", ":8443", "address to listen on")
	fl.StringVar(&f.certFile, "tls-cert", "", "PEM serving certificate (reloaded when it changes)")
	fl.StringVar(&f.keyFile, "tls-key", "", "PEM private key of the certificate (reloaded when it changes)")
	fl.StringVar(&f.clientCA, "client-ca", "", "PEM CA bundle: accept only clients (the API server) with a certificate it signed (reloaded when it changes)")
	fl.StringVar(&f.tlsMinVersion, "tls-min-version", "1.2", "lowest TLS version served: 1.2 or 1.3")
	fl.IntVar(&f.maxConcurrent, "max-concurrent", 0, "most reviews at a time, a large one counting once per 256 KiB; beyond it requests are refused with code 429 (default 4 per CPU)")
	fl.StringVar(&f.config, "config", "", "config file with exceptions and the admission: section (default .moat.yaml in the current directory, if present)")
	fl.StringVar(&f.pssVersion, "pss-version", "latest", "Pod Security Standards version: v1.N or latest")
	fl.DurationVar(&f.timeout, "timeout", webhook.DefaultTimeout, "deadline of one review")
	fl.Int64Var(&f.maxBody, "max-body-bytes", webhook.DefaultMaxBodyBytes, "largest AdmissionReview accepted")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fl.BoolVar(&f.printManifests, "print-manifests", false, "print the manifests that deploy the webhook, and exit")
	fl.StringVarP(&f.namespace, "namespace", "n", admission.DefaultNamespace, "with --print-manifests, the namespace to install into")
	fl.StringVar(&f.image, "image", "", "with --print-manifests, the image, pinned by digest (default: a placeholder digest)")
	fl.Int32Var(&f.replicas, "replicas", 2, "with --print-manifests, the number of replicas")
	fl.StringVar(&f.caBundle, "ca-bundle", "", "with --print-manifests, PEM file of the CA that signed the serving certificate (default: cert-manager injects it)")
	fl.StringSliceVar(&f.registryEgress, "registry-egress", nil, "with --print-manifests, CIDRs of the registries the signature check reads (TCP 443, and DNS); 0.0.0.0/0,::/0 for any")
	fl.StringVar(&f.trustedRoot, "trusted-root", "", "Sigstore trusted_root.json for the signing policy's keyless rules that name none (read offline)")
	fl.BoolVar(&f.insecureRegistry, "insecure-registry", false, "allow registries over plain HTTP for the signature check")
	fl.StringVar(&f.pprofAddr, "pprof-addr", "", "serve net/http/pprof over plain HTTP at this loopback address (127.0.0.1:PORT), for profiling under load")
	_ = fl.MarkHidden("pprof-addr")
	return cmd
}

func printAdmissionManifests(cmd *cobra.Command, f admissionFlags) error {
	opt := manifests.Options{Namespace: f.namespace, Image: f.image, Replicas: f.replicas, RegistryEgress: f.registryEgress}
	if err := opt.Validate(); err != nil {
		return err
	}
	if f.caBundle != "" {
		ca, err := os.ReadFile(f.caBundle)
		if err != nil {
			return fmt.Errorf("--ca-bundle: %w", err)
		}
		opt.CABundle = ca
	}
	out, err := manifests.YAML(manifests.Objects(opt))
	if err != nil {
		return err
	}
	_, err = cmd.OutOrStdout().Write(out)
	return err
}

func runServeAdmission(cmd *cobra.Command, f admissionFlags) error {
	webhook.TuneGC()
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	if err := pss.ParseVersion(f.pssVersion); err != nil {
		return fmt.Errorf("--pss-version: %w", err)
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	for _, w := range cfg.WarningList() {
		log.Warn("config", "warning", w)
	}
	minVersion, err := servertls.ParseMinVersion(f.tlsMinVersion)
	if err != nil {
		return fmt.Errorf("--tls-min-version: %w", err)
	}
	if f.maxConcurrent < 0 {
		return fmt.Errorf("--max-concurrent %d: want 1 or more (0: 4 per CPU)", f.maxConcurrent)
	}
	var pln net.Listener
	if f.pprofAddr != "" {
		if pln, err = listenLoopback(f.pprofAddr); err != nil {
			return fmt.Errorf("--pprof-addr: %w", err)
		}
		defer pln.Close()
	}
	srv, err := webhook.New(webhook.Options{
		CertFile: f.certFile, KeyFile: f.keyFile, ClientCAFile: f.clientCA, MinVersion: minVersion,
		Timeout: f.timeout, MaxBodyBytes: f.maxBody, MaxConcurrent: f.maxConcurrent, Logger: log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	rev, err := admission.NewReviewer(rule.All(), cfg, f.pssVersion, time.Now)
	if err != nil {
		ln.Close()
		return err
	}
	signing, err := signatureChecker(cfg, rev.Settings().ImageSignatures, f)
	if err != nil {
		ln.Close()
		return err
	}
	if signing != nil {
		rev.SetSignatureChecker(signing)
	}
	srv.SetReviewer(rev)
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if pln != nil {
		go servePprof(ctx, pln, log)
	}
	log.Info("serving admission webhook", "addr", ln.Addr().String(), "config", f.config, "pssVersion", f.pssVersion,
		"clientCA", f.clientCA, "tlsMinVersion", f.tlsMinVersion, "maxConcurrent", f.maxConcurrent, "imageSignatures", signing != nil)
	err = srv.Serve(ctx, ln)
	log.Info("stopped")
	return err
}

// signatureChecker is the signature check of the config's signing policy; nil when
// there is none. Its deadline must end before the review's, or a slow registry would
// make every review time out instead of applying the failure policy.
func signatureChecker(cfg *exceptions.Config, st admission.SignatureSettings, f admissionFlags) (*imagesig.Checker, error) {
	policy, err := sign.ParsePolicy(cfg)
	if err != nil || policy == nil {
		return nil, err
	}
	if st.Timeout >= f.timeout {
		return nil, fmt.Errorf("%s: admission.imageSignatures.timeout %s must be below --timeout %s, the deadline of the whole review", cfg.File, st.Timeout, f.timeout)
	}
	v, err := sign.NewVerifier(policy, sign.Options{
		Timeout: st.Timeout, BaseDir: filepath.Dir(cfg.File), TrustedRoot: f.trustedRoot,
		Remote: []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)},
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", cfg.File, sign.ConfigField, err)
	}
	return imagesig.New(imagesig.Options{
		Policy: policy, Verifier: v, Insecure: f.insecureRegistry,
		Registry:     registry.New(registry.Options{Timeout: st.Timeout, Insecure: f.insecureRegistry}),
		AllowOnError: st.AllowOnError, Timeout: st.Timeout, CacheTTL: st.CacheTTL,
	})
}

// listenLoopback listens at addr only if its host is a loopback IP address: the
// profiling endpoints have no authentication and no TLS, and name no host by DNS.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%s: want a loopback IP address such as 127.0.0.1:6060", addr)
	}
	return net.Listen("tcp", addr)
}

// servePprof serves the runtime profiles on ln (a loopback listener) until ctx ends:
// go tool pprof http://ADDR/debug/pprof/profile?seconds=10, curl -o trace.out
// http://ADDR/debug/pprof/trace?seconds=5. Its own mux, not http.DefaultServeMux.
func servePprof(ctx context.Context, ln net.Listener, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	log.Warn("serving profiles over plain HTTP", "addr", ln.Addr().String())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("pprof server", "err", err)
	}
}
