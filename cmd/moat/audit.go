package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/moat-dev/moat/internal/audit"
	"github.com/moat-dev/moat/internal/audit/detect"
	"github.com/moat-dev/moat/internal/audit/receiver"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/report"
	"github.com/moat-dev/moat/internal/scan"
	"github.com/moat-dev/moat/internal/servertls"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Detections over Kubernetes API audit events",
		Long: "Detection rules over the API server's audit events: hunt through audit logs offline " +
			"(audit scan), list the rules (audit rules), print the audit policy they need (audit policy). " +
			"`moat serve audit` receives the events live from the API server's audit webhook.",
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newAuditScanCmd(), newAuditPolicyCmd(), newAuditRulesCmd())
	return cmd
}

// loadAuditRules compiles the default pack and the user rule directories; a broken rule
// file is a usage error (exit 2) naming file and line.
func loadAuditRules(dirs []string) (*detect.Set, error) {
	s, err := detect.Load(dirs...)
	if err != nil {
		return nil, fmt.Errorf("audit rules:\n%w", err)
	}
	return s, nil
}

func newAuditScanCmd() *cobra.Command {
	var (
		ruleDirs     []string
		output       string
		failOn       string
		maxEventSize int
	)
	cmd := &cobra.Command{
		Use:   "scan FILE... | -",
		Short: "Hunt through audit logs: alerts as JSON lines",
		Long: "Reads audit events (audit.k8s.io/v1) from files or stdin — JSON lines as the log backend writes them, " +
			"EventList objects as the webhook backend sends them, or a JSON array — and prints one JSON line per alert. " +
			"A bad event is reported on stderr with its file and line and the rest is still read (exit code 2).",
		Example: `  moat audit scan /var/log/kubernetes/audit.log
  zcat audit.log.gz | moat audit scan -
  moat audit scan --rules ./my-rules -o table audit.log`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			threshold, err := finding.ParseSeverity(failOn)
			if err != nil {
				return fmt.Errorf("--fail-on: %w", err)
			}
			out, err := report.Alerts.New(output, cmd.OutOrStdout(), terminal(cmd))
			if err != nil {
				return fmt.Errorf("--output: %w", err)
			}
			set, err := loadAuditRules(ruleDirs)
			if err != nil {
				return err
			}
			stderr := cmd.ErrOrStderr()
			var writeErr error
			res := detect.NewEngine(set, 0).Hunt(auditLogs(cmd, args), audit.Reader{MaxEventSize: maxEventSize},
				func(a audit.Alert) {
					if err := out.Write(a); err != nil && writeErr == nil {
						writeErr = err
					}
				},
				func(err error) { printAll(stderr, "moat:", []string{err.Error()}) })
			if err := errors.Join(writeErr, out.Close()); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "moat: %d events, %d alerts, %d unreadable\n", res.Events, res.Alerts, res.Unreadable)
			return exit(scan.Code(res.Unreadable > 0, res.Alerts > 0 && res.Worst >= threshold))
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&ruleDirs, "rules", nil, "directory (or file) of rule YAML files loaded beside the default pack (repeatable)")
	outputFlag(cmd, &output, report.Alerts.Names())
	fl.StringVar(&failOn, "fail-on", "high", "exit 1 when an alert is at or above this severity: info, low, medium, high, critical")
	fl.IntVar(&maxEventSize, "max-event-size", audit.DefaultMaxEventSize, "largest audit event read, in bytes; larger ones are reported and skipped")
	return cmd
}

// auditLogs are the logs named on the command line; "-" is stdin.
func auditLogs(cmd *cobra.Command, paths []string) []detect.Log {
	logs := make([]detect.Log, len(paths))
	for i, p := range paths {
		if p == "-" {
			logs[i] = detect.Log{Name: "<stdin>", Open: func() (io.ReadCloser, error) { return io.NopCloser(cmd.InOrStdin()), nil }}
			continue
		}
		logs[i] = detect.Log{Name: p, Open: func() (io.ReadCloser, error) { return os.Open(p) }}
	}
	return logs
}

func newAuditPolicyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "policy",
		Short: "Print the audit Policy the rules need (for kube-apiserver --audit-policy-file)",
		Example: `  moat audit policy > /etc/kubernetes/audit-policy.yaml
  kube-apiserver --audit-policy-file=/etc/kubernetes/audit-policy.yaml \
    --audit-webhook-config-file=/etc/kubernetes/moat-audit-webhook.kubeconfig ...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := cmd.OutOrStdout().Write(audit.Policy)
			return err
		},
	}
}

func newAuditRulesCmd() *cobra.Command {
	var (
		ruleDirs []string
		output   string
	)
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the audit detection rules (default pack and --rules)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := report.DetectionRules.New(output, terminal(cmd))
			if err != nil {
				return fmt.Errorf("--output: %w", err)
			}
			set, err := loadAuditRules(ruleDirs)
			if err != nil {
				return err
			}
			return r.Render(cmd.OutOrStdout(), set.Rules)
		},
	}
	cmd.Flags().StringArrayVar(&ruleDirs, "rules", nil, "directory (or file) of rule YAML files loaded beside the default pack (repeatable)")
	outputFlag(cmd, &output, report.DetectionRules.Names())
	return cmd
}

type serveAuditFlags struct {
	addr, tlsCert, tlsKey  string
	clientCA, tokenFile    string
	clientNames            []string
	tlsMinVersion          string
	insecureLoopbackHTTP   bool
	allowUnauthenticated   bool
	ruleDirs               []string
	alertsFile             string
	noStdout               bool
	webhook, webhookFormat string
	queueSize              int
	queueBytes             int64
	maxBody                int64
	maxEventSize           int
	shutdownTimeout        time.Duration
}

func newServeAuditCmd() *cobra.Command {
	var f serveAuditFlags
	cmd := &cobra.Command{
		Use:   "audit --tls-cert F --tls-key F (--client-ca F | --token-file F) [--addr ADDR]",
		Short: "Receive the API server's audit webhook and raise alerts",
		Long: "Serves the audit webhook backend of kube-apiserver (--audit-webhook-config-file) over HTTPS on " +
			receiver.Path + ": each POST carries an EventList from a client that authenticates with a certificate " +
			"signed by --client-ca or with the bearer token of --token-file (anyone else gets 401: a forged event " +
			"would raise a forged alert). A batch is acknowledged once queued, refused with 429 when the queue is full " +
			"(--queue-size events, --queue-bytes bytes; the API server retries), and every event is evaluated by the " +
			"detection rules. Alerts go to stdout as JSON lines, to --alerts-file, and to --webhook. GET /metrics gives " +
			"Prometheus counters; SIGTERM drains the queue and exits.",
		Example: `  moat serve audit --addr :8443 --tls-cert tls.crt --tls-key tls.key --client-ca apiserver-client-ca.crt \
    --alerts-file /var/log/moat/alerts.jsonl
  moat serve audit --tls-cert tls.crt --tls-key tls.key --token-file /etc/moat/audit-token \
    --webhook https://hooks.slack.com/services/... --webhook-format slack`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runServeAudit(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", ":8443", "address to listen on (port 0 picks a free port; the URL is printed on stderr)")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "serving certificate (PEM), reloaded when it changes; required")
	fl.StringVar(&f.tlsKey, "tls-key", "", "serving key (PEM); required")
	fl.StringVar(&f.tlsMinVersion, "tls-min-version", "1.2", "minimum TLS version: 1.2 or 1.3")
	fl.StringVar(&f.clientCA, "client-ca", "", "CA bundle (PEM) that the API server's client certificate must verify against")
	fl.StringArrayVar(&f.clientNames, "client-name", nil, "accept only client certificates with this Common Name or DNS name (repeatable; needs --client-ca)")
	fl.StringVar(&f.tokenFile, "token-file", "", "file holding the bearer token the API server presents (its webhook kubeconfig's user token)")
	fl.BoolVar(&f.insecureLoopbackHTTP, "insecure-loopback-http", false, "serve plain HTTP, on a loopback --addr only (for tests)")
	fl.BoolVar(&f.allowUnauthenticated, "allow-unauthenticated", false, "accept events from anyone who reaches --addr (forged events raise forged alerts)")
	fl.StringArrayVar(&f.ruleDirs, "rules", nil, "directory (or file) of rule YAML files loaded beside the default pack (repeatable)")
	fl.StringVar(&f.alertsFile, "alerts-file", "", "also append alerts as JSON lines to this file")
	fl.BoolVar(&f.noStdout, "no-stdout", false, "do not print alerts on stdout")
	fl.StringVar(&f.webhook, "webhook", "", "also POST each alert to this URL")
	fl.StringVar(&f.webhookFormat, "webhook-format", "json", "body of --webhook posts: json (the alert) or slack ({\"text\": ...})")
	fl.IntVar(&f.queueSize, "queue-size", receiver.DefaultQueueSize, "events the queue holds; a batch that does not fit is refused with 429")
	fl.Int64Var(&f.queueBytes, "queue-bytes", receiver.DefaultQueueBytes, "request bytes the queue holds; a batch that does not fit is refused with 429")
	fl.Int64Var(&f.maxBody, "max-body-bytes", receiver.DefaultMaxBodyBytes, "largest request body")
	fl.IntVar(&f.maxEventSize, "max-event-size", audit.DefaultMaxEventSize, "largest audit event accepted, in bytes")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long to wait for in-flight requests and the queue to drain")
	return cmd
}

func runServeAudit(cmd *cobra.Command, f serveAuditFlags) error {
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	minVersion, err := servertls.ParseMinVersion(f.tlsMinVersion)
	if err != nil {
		return fmt.Errorf("--tls-min-version: %w", err)
	}
	set, err := loadAuditRules(f.ruleDirs)
	if err != nil {
		return err
	}
	sinkCfg := receiver.SinkConfig{File: f.alertsFile, Webhook: f.webhook, WebhookFormat: f.webhookFormat}
	if !f.noStdout {
		sinkCfg.Stdout = cmd.OutOrStdout()
	}
	sinks, err := receiver.OpenSinks(sinkCfg)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	srv, err := receiver.NewServer(detect.NewEngine(set, 0), sinks, receiver.Options{
		QueueSize: f.queueSize, QueueBytes: f.queueBytes, MaxBodyBytes: f.maxBody,
		Reader: audit.Reader{MaxEventSize: f.maxEventSize},
	}, receiver.ServerConfig{
		Addr:                 f.addr,
		TLS:                  servertls.Options{CertFile: f.tlsCert, KeyFile: f.tlsKey, ClientCAFile: f.clientCA, MinVersion: minVersion},
		ClientNames:          f.clientNames,
		TokenFile:            f.tokenFile,
		InsecureLoopbackHTTP: f.insecureLoopbackHTTP,
		AllowUnauthenticated: f.allowUnauthenticated,
		ShutdownTimeout:      f.shutdownTimeout,
		Log:                  log,
	})
	if err != nil {
		for _, s := range sinks {
			s.Close()
		}
		return err
	}
	log.Info("audit receiver listening", "url", srv.URL(), "rules", len(set.Rules), "queue", f.queueSize, "queueBytes", f.queueBytes)
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return srv.Serve(ctx)
}
