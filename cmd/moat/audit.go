package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/moat-dev/moat/internal/audit"
	"github.com/moat-dev/moat/internal/audit/detect"
	"github.com/moat-dev/moat/internal/audit/receiver"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/scan"
)

func init() {
	commands = append(commands, newAuditCmd)
	serveCommands = append(serveCommands, newServeAuditCmd)
}

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
			if output != "json" && output != "table" {
				return fmt.Errorf("--output: unknown format %q (want json or table)", output)
			}
			threshold, err := finding.ParseSeverity(failOn)
			if err != nil {
				return fmt.Errorf("--fail-on: %w", err)
			}
			set, err := loadAuditRules(ruleDirs)
			if err != nil {
				return err
			}
			engine := detect.NewEngine(set, 0)
			out := cmd.OutOrStdout()
			enc := json.NewEncoder(out)
			var tw *tabwriter.Writer
			if output == "table" {
				tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TIME\tSEVERITY\tRULE\tUSER\tMESSAGE")
			}
			code := scan.ExitOK
			events, alerts, bad := 0, 0, 0
			emit := func(a audit.Alert) {
				alerts++
				if a.Severity >= threshold && code == scan.ExitOK {
					code = scan.ExitFindings
				}
				if tw != nil {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Time.UTC().Format(time.RFC3339), a.Severity, a.Rule, a.User, a.Message)
					return
				}
				enc.Encode(a)
			}
			reader := audit.Reader{MaxEventSize: maxEventSize}
			for _, path := range args {
				in, name, closeIn, err := openAuditInput(cmd, path)
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "moat:", err)
					bad++
					continue
				}
				err = reader.Decode(in, name, func(ev *audit.Event) error {
					events++
					engine.Eval(ev, emit)
					return nil
				}, func(p audit.Problem) {
					bad++
					fmt.Fprintln(cmd.ErrOrStderr(), "moat:", p.Error())
				})
				closeIn()
				if err != nil {
					bad++
					fmt.Fprintln(cmd.ErrOrStderr(), "moat:", err)
				}
			}
			if tw != nil {
				tw.Flush()
			}
			for id, n := range engine.RuntimeErrors() {
				fmt.Fprintf(cmd.ErrOrStderr(), "moat: rule %s failed to evaluate on %d events\n", id, n)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "moat: %d events, %d alerts, %d unreadable\n", events, alerts, bad)
			if bad > 0 {
				code = scan.ExitError
			}
			if code != scan.ExitOK {
				return exitError{code}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&ruleDirs, "rules", nil, "directory (or file) of rule YAML files loaded beside the default pack (repeatable)")
	fl.StringVarP(&output, "output", "o", "json", "output format: json (one alert per line) or table")
	fl.StringVar(&failOn, "fail-on", "high", "exit 1 when an alert is at or above this severity: info, low, medium, high, critical")
	fl.IntVar(&maxEventSize, "max-event-size", audit.DefaultMaxEventSize, "largest audit event read, in bytes; larger ones are reported and skipped")
	return cmd
}

func openAuditInput(cmd *cobra.Command, path string) (io.Reader, string, func(), error) {
	if path == "-" {
		return cmd.InOrStdin(), "<stdin>", func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", nil, err
	}
	return f, path, func() { f.Close() }, nil
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
			set, err := loadAuditRules(ruleDirs)
			if err != nil {
				return err
			}
			switch output {
			case "json":
				type ruleJSON struct {
					ID        string           `json:"id"`
					Title     string           `json:"title"`
					Severity  finding.Severity `json:"severity"`
					MITRE     []string         `json:"mitre"`
					Desc      string           `json:"desc"`
					Condition string           `json:"condition"`
					Source    string           `json:"source"`
				}
				var rs []ruleJSON
				for _, r := range set.Rules {
					rs = append(rs, ruleJSON{r.ID, r.Title, r.Severity, r.MITRE, r.Desc, r.Condition, fmt.Sprintf("%s:%d", r.File, r.Line)})
				}
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"rules": rs})
			case "table":
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSEVERITY\tMITRE\tTITLE")
				for _, r := range set.Rules {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, strings.Join(r.MITRE, ","), r.Title)
				}
				return tw.Flush()
			}
			return fmt.Errorf("--output: unknown format %q (want table or json)", output)
		},
	}
	cmd.Flags().StringArrayVar(&ruleDirs, "rules", nil, "directory (or file) of rule YAML files loaded beside the default pack (repeatable)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

type serveAuditFlags struct {
	addr, tlsCert, tlsKey  string
	ruleDirs               []string
	alertsFile             string
	noStdout               bool
	webhook, webhookFormat string
	queueSize              int
	maxBody                int64
	maxEventSize           int
	shutdownTimeout        time.Duration
}

func newServeAuditCmd() *cobra.Command {
	var f serveAuditFlags
	cmd := &cobra.Command{
		Use:   "audit --addr ADDR [--tls-cert F --tls-key F]",
		Short: "Receive the API server's audit webhook and raise alerts",
		Long: "Serves the audit webhook backend of kube-apiserver (--audit-webhook-config-file): each POST carries " +
			"an EventList; it is acknowledged once queued, refused with 429 when the queue is full (the API server " +
			"retries), and every event is evaluated by the detection rules. Alerts go to stdout as JSON lines, to " +
			"--alerts-file, and to --webhook. GET /metrics gives Prometheus counters; SIGTERM drains the queue and exits.",
		Example: `  moat serve audit --addr :8443 --tls-cert tls.crt --tls-key tls.key --alerts-file /var/log/moat/alerts.jsonl
  moat serve audit --addr 127.0.0.1:8080 --webhook https://hooks.slack.com/services/... --webhook-format slack`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runServeAudit(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", ":8443", "address to listen on (port 0 picks a free port; the address is printed on stderr)")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "serving certificate (PEM); with --tls-key, serve HTTPS")
	fl.StringVar(&f.tlsKey, "tls-key", "", "serving key (PEM)")
	fl.StringArrayVar(&f.ruleDirs, "rules", nil, "directory (or file) of rule YAML files loaded beside the default pack (repeatable)")
	fl.StringVar(&f.alertsFile, "alerts-file", "", "also append alerts as JSON lines to this file")
	fl.BoolVar(&f.noStdout, "no-stdout", false, "do not print alerts on stdout")
	fl.StringVar(&f.webhook, "webhook", "", "also POST each alert to this URL")
	fl.StringVar(&f.webhookFormat, "webhook-format", "json", "body of --webhook posts: json (the alert) or slack ({\"text\": ...})")
	fl.IntVar(&f.queueSize, "queue-size", receiver.DefaultQueueSize, "events the queue holds; a batch that does not fit is refused with 429")
	fl.Int64Var(&f.maxBody, "max-body-bytes", receiver.DefaultMaxBodyBytes, "largest request body")
	fl.IntVar(&f.maxEventSize, "max-event-size", audit.DefaultMaxEventSize, "largest audit event accepted, in bytes")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long to wait for in-flight requests and the queue to drain")
	return cmd
}

func runServeAudit(cmd *cobra.Command, f serveAuditFlags) error {
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	set, err := loadAuditRules(f.ruleDirs)
	if err != nil {
		return err
	}
	var sinks []receiver.Sink
	if !f.noStdout {
		sinks = append(sinks, receiver.NewWriterSink("stdout", cmd.OutOrStdout()))
	}
	if f.alertsFile != "" {
		s, err := receiver.NewFileSink(f.alertsFile)
		if err != nil {
			return err
		}
		sinks = append(sinks, s)
	}
	if f.webhook != "" {
		s, err := receiver.NewWebhookSink(f.webhook, f.webhookFormat, nil)
		if err != nil {
			return err
		}
		sinks = append(sinks, s)
	}
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	rcv := receiver.New(detect.NewEngine(set, 0), sinks, receiver.Options{
		QueueSize: f.queueSize, MaxBodyBytes: f.maxBody, Reader: audit.Reader{MaxEventSize: f.maxEventSize}, Log: log})
	srv := &http.Server{Handler: rcv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	scheme := "http"
	if f.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	if srv.TLSConfig != nil {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	rcv.Start()
	log.Info("audit receiver listening", "url", scheme+"://"+ln.Addr().String(), "rules", len(set.Rules), "queue", f.queueSize)

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		rcv.Close(context.Background())
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining the queue")
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	errs := []error{srv.Shutdown(sctx), rcv.Close(sctx)}
	st := rcv.Stats()
	log.Info("stopped", "received", st.Received, "evaluated", st.Evaluated, "alerted", st.Alerted,
		"rejected", st.Rejected, "dropped", st.Dropped, "sinkErrors", st.SinkErrors)
	return errors.Join(errs...)
}
