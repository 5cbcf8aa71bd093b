package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/moat-dev/moat/internal/cluster"
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/image"
	"github.com/moat-dev/moat/internal/image/imagescan"
	"github.com/moat-dev/moat/internal/image/osvdb"
	"github.com/moat-dev/moat/internal/image/registry"
	"github.com/moat-dev/moat/internal/image/sbom"
	"github.com/moat-dev/moat/internal/image/sign"
	"github.com/moat-dev/moat/internal/report"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/scan"
)

// imageFlags are the flags of every command that reads images.
type imageFlags struct {
	platform        string
	dbDir           string
	dbMaxAge        time.Duration
	noDB            bool
	cacheDir        string
	noCache         bool
	insecure        bool
	readPullSecrets bool
	timeout         time.Duration
	concurrency     int
	trustedRoot     string
}

func (f *imageFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.platform, "platform", "linux/amd64", "platform to scan in a multi-platform image: os/arch[/variant]")
	fl.StringVar(&f.dbDir, "db", "", "directory of the OSV database (default "+osvdb.DefaultDir()+"; fill it with moat db update)")
	fl.DurationVar(&f.dbMaxAge, "db-max-age", 7*24*time.Hour, "warn when the OSV database is older than this")
	fl.BoolVar(&f.noDB, "skip-vulnerabilities", false, "do not match packages against the OSV database")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "directory of the cache of image contents by digest (default "+registry.DefaultCacheDir()+")")
	fl.BoolVar(&f.noCache, "no-cache", false, "read every image again, ignoring and not writing the cache")
	fl.BoolVar(&f.insecure, "insecure-registry", false, "allow registries over plain HTTP")
	fl.BoolVar(&f.readPullSecrets, "read-pull-secrets", false, "with --cluster, read the workloads' imagePullSecrets (Secret data) to pull private images")
	fl.DurationVar(&f.timeout, "image-timeout", 2*time.Minute, "time limit for reading one image")
	fl.IntVar(&f.concurrency, "image-concurrency", 4, "images read at once")
	fl.StringVar(&f.trustedRoot, "trusted-root", "", "Sigstore trusted_root.json for the signing policy's keyless rules that name none (read offline)")
}

// options builds the scan's options. Warnings are for the person (an old database);
// inputErrs are parts of the input that could not be read (malformed OSV records): the
// scan goes on without them, and they make the exit code 2.
func (f *imageFlags) options(cfg *exceptions.Config, keychain authn.Keychain, withDB bool) (opt imagescan.Options, warns, inputErrs []string, err error) {
	if _, err := registry.ParsePlatform(f.platform); err != nil {
		return opt, nil, nil, fmt.Errorf("--platform: %w", err)
	}
	opt = imagescan.Options{
		Registry:    registry.New(registry.Options{Platform: f.platform, Insecure: f.insecure, Timeout: f.timeout, Keychain: keychain}),
		Concurrency: f.concurrency,
	}
	if !f.noCache {
		dir := f.cacheDir
		if dir == "" {
			dir = registry.DefaultCacheDir()
		}
		c, err := registry.OpenCache(dir)
		if err != nil {
			warns = append(warns, fmt.Sprintf("image cache %s: %v; scanning without it", dir, err))
		} else {
			opt.Cache = c
		}
	}
	if withDB && !f.noDB {
		dir := f.dbDir
		if dir == "" {
			dir = osvdb.DefaultDir()
		}
		db, err := osvdb.Open(dir)
		if err != nil {
			return opt, warns, nil, fmt.Errorf("%w (run moat db update, or give --db, or --skip-vulnerabilities)", err)
		}
		for _, e := range db.Errors() {
			inputErrs = append(inputErrs, "OSV database: "+e.Error())
		}
		if age := db.Age(time.Now()); age > f.dbMaxAge {
			warns = append(warns, fmt.Sprintf("the OSV database in %s is %s old (more than --db-max-age %s): run moat db update", dir, age.Round(time.Hour), f.dbMaxAge))
		}
		opt.DB = db
	}
	policy, err := sign.ParsePolicy(cfg)
	if err != nil {
		return opt, warns, inputErrs, err
	}
	if policy != nil {
		kc := keychain
		if kc == nil {
			kc = authn.DefaultKeychain
		}
		v, err := sign.NewVerifier(policy, sign.Options{
			Timeout: f.timeout, BaseDir: filepath.Dir(cfg.File), TrustedRoot: f.trustedRoot,
			Remote: []remote.Option{remote.WithAuthFromKeychain(kc)},
		})
		if err != nil {
			return opt, warns, inputErrs, fmt.Errorf("%s: images.signatures: %w", cfg.File, err)
		}
		opt.Verifier, opt.Policy, opt.Insecure = v, policy, f.insecure
	}
	return opt, warns, inputErrs, nil
}

func newImageCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Scan images for known vulnerabilities, write their SBOM, verify their signatures",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newImageScanCmd(), newImageSBOMCmd(), newImageVerifyCmd())
	return cmd
}

type imageScanFlags struct {
	images imageFlags
	in     inputFlags
	from   bool
	output string
	failOn string
	config string
}

func newImageScanCmd() *cobra.Command {
	var f imageScanFlags
	cmd := &cobra.Command{
		Use:   "scan REF... | --from PATH... | --cluster",
		Short: "Scan images for known vulnerabilities (OSV), an OS past its end of life, and missing signatures",
		Long: `moat image scan reads images — given as references (registry references, oci:DIR, tar:FILE),
or those the workloads of PATHs (--from) or of the live cluster (--cluster) run — resolves each
to a digest once, inventories each digest's packages once (OS packages, Go binaries, language
lockfiles; cached by digest), and reports the image/* findings: known vulnerabilities from a
local copy of the OSV database (moat db update), an OS release past its end of life, and,
when the config file's images.signatures policy names the image, a missing signature.

Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 an image or input could not be read.`,
		Example: `  moat db update
  moat image scan nginx:1.27 ghcr.io/acme/api@sha256:...
  moat image scan --from examples/shop -o sarif
  moat image scan --cluster --read-pull-secrets
  moat image scan oci:./layout tar:image.tar --platform linux/arm64`,
		RunE: func(cmd *cobra.Command, args []string) error { return runImageScan(cmd, args, f) },
	}
	f.images.register(cmd)
	f.in.register(cmd, inputFeatures{namespace: true})
	fl := cmd.Flags()
	fl.BoolVar(&f.from, "from", false, "the arguments are PATHs (manifests, charts, overlays): scan the images their workloads run")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json, sarif, junit, policyreport")
	fl.StringVar(&f.failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity")
	fl.StringVar(&f.config, "config", "", "config file: exceptions and images.signatures (default .moat.yaml, if present)")
	return cmd
}

func runImageScan(cmd *cobra.Command, args []string, f imageScanFlags) error {
	failOn, err := finding.ParseSeverity(f.failOn)
	if err != nil {
		return fmt.Errorf("--fail-on: %w", err)
	}
	renderer, err := report.Findings.New(f.output, terminal(cmd))
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	var uses []image.Use
	var inputErrs []string
	var keychain authn.Keychain
	switch {
	case f.from || f.in.cluster:
		loaded, err := f.in.load(cmd, args)
		if err != nil {
			return err
		}
		for _, e := range loaded.Errors {
			inputErrs = append(inputErrs, e.Error())
		}
		uses = image.Uses(loaded.Inventory)
		if f.in.cluster && f.images.readPullSecrets {
			if keychain, err = f.pullSecrets(cmd.Context(), uses); err != nil {
				return err
			}
		}
	case len(args) == 0:
		return errors.New("name at least one image, or give --from PATH... or --cluster")
	default:
		for _, a := range args {
			uses = append(uses, image.Use{Image: a})
		}
	}
	res, err := scanImages(cmd, f.images, cfg, keychain, uses)
	if err != nil {
		return err
	}
	res.Errors = append(inputErrs, res.Errors...)
	res.Summary.Errors = len(res.Errors)
	if f.output != "table" {
		printAll(cmd.ErrOrStderr(), "error:", res.Errors)
	}
	if err := renderer.Render(cmd.OutOrStdout(), &res.Report); err != nil {
		return err
	}
	return exit(res.ExitCode(failOn))
}

// scanImages scans uses and makes the result the renderers show.
func scanImages(cmd *cobra.Command, f imageFlags, cfg *exceptions.Config, keychain authn.Keychain, uses []image.Use) (*scan.Result, error) {
	opt, warns, inputErrs, err := f.options(cfg, keychain, true)
	if err != nil {
		return nil, err
	}
	printAll(cmd.ErrOrStderr(), "warning:", warns)
	images, st := imagescan.Scan(cmd.Context(), uses, opt)
	printAll(cmd.ErrOrStderr(), "note:", []string{st.String()})
	fs, errs := imagescan.Findings(images, time.Now())
	errs = append(inputErrs, errs...)
	e := scan.NewEvaluator(scan.Options{Config: cfg, ToolVersion: version, Rules: imageRules()})
	res := &scan.Result{}
	res.Rules = imageRules()
	res.ToolVersion, res.Time = version, time.Now()
	res.Summary.Objects = len(uses)
	e.AddFindings(res, fs, errs)
	res.Warnings = append(res.Warnings, warns...)
	return res, nil
}

// imageRules are the rules an image scan reports.
func imageRules() []*rule.Rule {
	var out []*rule.Rule
	for _, id := range []string{image.VulnerabilityRule.ID, image.EndOfLifeOSRule.ID, image.SignatureMissingRule.ID} {
		if r := rule.Get(id); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// pullSecrets reads the imagePullSecrets the workloads name and makes a keychain of
// them. Reading Secret data is asked for explicitly (--read-pull-secrets).
func (f imageScanFlags) pullSecrets(ctx context.Context, uses []image.Use) (authn.Keychain, error) {
	rc, err := cluster.Config{Kubeconfig: f.in.kubeconfig, Context: f.in.kubeContext}.RESTConfig()
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var secrets []*corev1.Secret
	var errs []error
	for _, u := range uses {
		for _, ref := range u.PullSecrets {
			if seen[ref] {
				continue
			}
			seen[ref] = true
			ns, name, _ := strings.Cut(ref, "/")
			s, err := cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				errs = append(errs, fmt.Errorf("pull secret %s: %w", ref, err))
				continue
			}
			secrets = append(secrets, s)
		}
	}
	kc, err := registry.PullSecretKeychain(secrets)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return kc, errors.Join(errs...)
	}
	return kc, nil
}

func newImageSBOMCmd() *cobra.Command {
	var f imageFlags
	var format string
	cmd := &cobra.Command{
		Use:   "sbom REF",
		Short: "Write an image's software bill of materials: CycloneDX 1.6 or SPDX 2.3 JSON",
		Example: `  moat image sbom ghcr.io/acme/api:1.4 > api.cdx.json
  moat image sbom --format spdx oci:./layout > api.spdx.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt, warns, _, err := f.options(nil, nil, false)
			if err != nil {
				return err
			}
			printAll(cmd.ErrOrStderr(), "warning:", warns)
			images, _ := imagescan.Scan(cmd.Context(), []image.Use{{Image: args[0]}}, opt)
			if err := images[0].Err; err != nil {
				return err
			}
			return sbom.Write(cmd.OutOrStdout(), images[0].Contents, format, version, time.Now())
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&format, "format", "cyclonedx", "SBOM format: cyclonedx or spdx")
	return cmd
}

func newImageVerifyCmd() *cobra.Command {
	var f imageFlags
	var config string
	cmd := &cobra.Command{
		Use:   "verify REF...",
		Short: "Verify images' signatures against the config file's signing policy (images.signatures)",
		Long: `moat image verify checks each image's signatures — Sigstore bundles attached as OCI referrers,
and cosign's signature tags — against the rule of the config file's images.signatures policy
that names the image: a key, or a keyless identity (issuer and subject) with a trusted root
file, transparency-log inclusion when the rule asks for it. It prints one line per image.

Exit codes: 0 every image the policy names is verified, 1 one is not, 2 an image or the
policy could not be read.`,
		Example: `  moat image verify --config .moat.yaml ghcr.io/acme/api@sha256:...`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(config)
			if err != nil {
				return err
			}
			opt, _, _, err := f.options(cfg, nil, false)
			if err != nil {
				return err
			}
			if opt.Policy == nil {
				return errors.New("the config file has no images.signatures policy: nothing to verify against")
			}
			uses := make([]image.Use, len(args))
			for i, a := range args {
				uses[i] = image.Use{Image: a}
			}
			images, _ := imagescan.Scan(cmd.Context(), uses, opt)
			code := scan.ExitOK
			out := cmd.OutOrStdout()
			for _, im := range images {
				switch {
				case im.Err != nil:
					fmt.Fprintf(out, "ERROR     %s: %v\n", im.Use.Image, im.Err)
					code = max(code, scan.ExitError)
				case im.Signature == nil:
					fmt.Fprintf(out, "NO RULE   %s (%s): no rule of the policy names it\n", im.Use.Image, im.Digest)
				case im.Signature.Verified:
					fmt.Fprintf(out, "VERIFIED  %s (%s): signed by %s\n", im.Use.Image, im.Digest, im.Signature.By)
				default:
					fmt.Fprintf(out, "FAILED    %s (%s): %s\n", im.Use.Image, im.Digest, im.Signature.Reason)
					if code == scan.ExitOK {
						code = scan.ExitFindings
					}
				}
			}
			return exit(code)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&config, "config", "", "config file with the images.signatures policy (default .moat.yaml)")
	return cmd
}

func newDBCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the local copy of the OSV vulnerability database",
		Args:  cobra.NoArgs,
	}
	var dir, url string
	var ecosystems []string
	var timeout time.Duration
	update := &cobra.Command{
		Use:   "update",
		Short: "Download the OSV database's ecosystem exports into the local copy",
		Example: `  moat db update
  moat db update --ecosystem Debian --ecosystem Go --db /srv/osv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				dir = osvdb.DefaultDir()
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			if err := osvdb.Update(ctx, dir, url, ecosystems, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "OSV database updated in %s\n", dir)
			return nil
		},
	}
	fl := update.Flags()
	fl.StringVar(&dir, "db", "", "directory of the database (default "+osvdb.DefaultDir()+")")
	fl.StringVar(&url, "url", "", "base URL of the exports (default OSV's bucket); a mirror for air-gapped use")
	fl.StringArrayVar(&ecosystems, "ecosystem", nil, "an ecosystem to fetch (repeatable; default the ecosystems images hold: Debian, Ubuntu, Alpine, Red Hat, Go, PyPI, npm, Maven, crates.io)")
	fl.DurationVar(&timeout, "timeout", 30*time.Minute, "time limit for the whole update")
	cmd.AddCommand(update)
	return cmd
}

// addImageFindings scans the images of a scan's workloads (moat scan --images) and adds
// their findings to its result.
func addImageFindings(cmd *cobra.Command, f imageFlags, cfg *exceptions.Config, e *scan.Evaluator, res *scan.Result, uses []image.Use) error {
	opt, warns, inputErrs, err := f.options(cfg, nil, true)
	if err != nil {
		return err
	}
	printAll(cmd.ErrOrStderr(), "warning:", warns)
	images, st := imagescan.Scan(cmd.Context(), uses, opt)
	printAll(cmd.ErrOrStderr(), "note:", []string{st.String()})
	fs, errs := imagescan.Findings(images, time.Now())
	errs = append(inputErrs, errs...)
	e.AddFindings(res, fs, errs)
	res.Warnings = append(res.Warnings, warns...)
	return nil
}
