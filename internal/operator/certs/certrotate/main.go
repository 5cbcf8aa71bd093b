// Command certrotate runs the webhook certificate Rotator alone: the part of `moat serve
// operator` that issues and rotates the admission webhook's certificates, with the
// same flag names. It exists for the end-to-end test test/kube/e2e/certs_rotation_test.go,
// whose module cannot import the main module's internal packages, and is not part of
// the moat command.
//
//	go run ./internal/operator/certs/certrotate --kubeconfig ~/.kube/config \
//	    --webhook-configuration moat-admission --webhook-secret moat-system/moat-admission-tls \
//	    --webhook-service moat-system/moat-admission
//
// With --once it reconciles once and prints when the next check is due, in seconds.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/moat-dev/moat/internal/operator/certs"
)

// list is a repeatable flag; each value may also be a comma-separated list.
type list []string

func (l *list) String() string { return strings.Join(*l, ",") }
func (l *list) Set(s string) error {
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "certrotate:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		kubeconfig, secret, service string
		webhooks, sans              list
		opt                         certs.Options
		once, debug                 bool
	)
	flag.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster)")
	flag.Var(&webhooks, "webhook-configuration", "ValidatingWebhookConfiguration whose caBundle is written (repeatable)")
	flag.StringVar(&secret, "webhook-secret", "", "NAMESPACE/NAME of the kubernetes.io/tls Secret issued and rotated")
	flag.StringVar(&service, "webhook-service", "", "NAMESPACE/NAME of the Service whose DNS names the certificate holds")
	flag.DurationVar(&opt.Validity, "cert-validity", certs.DefaultValidity, "serving certificate lifetime (the CA's: 10x)")
	flag.DurationVar(&opt.RenewBefore, "cert-renew-before", certs.DefaultRenewBefore, "renew this long before expiry")
	flag.DurationVar(&opt.Grace, "cert-grace", certs.DefaultGrace, "time for a Secret or caBundle change to reach every reader")
	flag.Var(&sans, "cert-extra-san", "another DNS name or IP address for the certificate (repeatable)")
	flag.BoolVar(&once, "once", false, "reconcile once, print the seconds until the next check, and exit")
	flag.BoolVar(&debug, "debug", false, "log every check")
	flag.Parse()

	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	opt.Logger = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	var err error
	if opt.Secret, err = certs.ParseNamespacedName(secret); err != nil {
		return fmt.Errorf("--webhook-secret: %w", err)
	}
	if opt.Service, err = certs.ParseNamespacedName(service); err != nil {
		return fmt.Errorf("--webhook-service: %w", err)
	}
	opt.Webhooks, opt.ExtraSANs = webhooks, sans
	if err := opt.Validate(); err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := certs.New(cs, opt)
	if once {
		next, err := r.Reconcile(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("%.3f\n", next.Seconds())
		return nil
	}
	return r.Run(ctx)
}
