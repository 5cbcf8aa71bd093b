package secrets

import (
	"regexp"
	"strings"
)

// The catalogue: credential formats and credential names derived from gitleaks'
// default configuration, version 8.30.0 (github.com/gitleaks/gitleaks, commit b58d3f1,
// config/gitleaks.toml, generated from cmd/generate/config/rules). gitleaks is MIT
// licensed; nothing of its code is used here, only what its rules state about the
// formats, re-expressed in this package's terms. It is the source because it is the
// most widely used open catalogue of its kind, is maintained (220 rules, a release
// every few weeks), and states for each rule a format, the keywords it needs and a
// minimum entropy, with true and false positive samples; detect-secrets' keyword
// plugin has a short list of names and no formats, and trufflehog's detectors are
// code that verifies credentials over the network. Update by reading the rules of a
// newer release and adding or changing rows; TestCatalogueExamples holds every row to
// a positive and a negative example.
//
// Two things are taken:
//
//   - tokenFormats: the rules whose format starts with a fixed prefix that is not a
//     word (ops_, hvs., glrt-, sk-ant-api03-), so that the format alone says what the
//     value is, anywhere in any text. Left out: formats Moat already had (AWS, GitHub,
//     glpat-, Slack xox[abprs]-, Stripe, Google, JWT, private keys); rules that need a
//     service's name near the value ("[\w.-]{0,50}?(?:algolia)...", about 90 rules:
//     their names hold key, token or secret, which the name classifier reads); test,
//     sandbox and publishable keys (sk_test_, FLWSECK_TEST, pk., lob test_); formats
//     that are ordinary text elsewhere (Square's and Facebook's EAA prefixes, which
//     base64 data starts with; ClickHouse's 4b1d, a hexadecimal run; Vault's legacy
//     "s." tokens; Twilio's SK key SIDs, which name a key and are not its secret);
//     and rules about files or commands (pkcs12-file, kubernetes-secret-yaml,
//     curl-auth-*), which other rules of this package cover.
//   - keyNames and looksGenerated: gitleaks' generic-api-key rule, which finds a value
//     under a name holding access, auth, api, credential, creds, key, password, secret
//     or token when the value is 10 to 150 characters of one token, is not letters
//     alone and has a Shannon entropy of at least 3.5 bits a character. Moat's strong
//     names (IsCredentialName) take any literal; the rule's other words (key, access,
//     auth, api) are read here with its value test, and with its list of names that
//     are not credentials (primary key, key id, api version, ...).

// tokenFormat is one credential format of the catalogue.
type tokenFormat struct {
	rule    string   // the gitleaks rules it is derived from
	detail  string   // what a message calls it: "OpenAI API key"
	hints   []string // strings one of which every match holds
	entropy float64  // the least Shannon entropy of a match, in bits a character; 0: none
	re      string   // the token, without its boundaries
}

// ServiceCredential is a token or key of an online service, recognised by its format.
const ServiceCredential Kind = "service credential"

var tokenFormats = []tokenFormat{
	{rule: "1password-secret-key", detail: "1Password secret key", hints: []string{"A3-"}, entropy: 3.8,
		re: `A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}`},
	{rule: "1password-service-account-token", detail: "1Password service account token", hints: []string{"ops_eyJ"}, entropy: 4.0,
		re: `ops_eyJ[A-Za-z0-9+/]{250,}={0,3}`},
	{rule: "age-secret-key", detail: "age secret key", hints: []string{"AGE-SECRET-KEY-1"}, entropy: 0,
		re: `AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}`},
	{rule: "alibaba-access-key-id", detail: "Alibaba Cloud AccessKey ID", hints: []string{"LTAI"}, entropy: 2.0,
		re: `LTAI[A-Za-z0-9]{20}`},
	{rule: "anthropic-api-key, anthropic-admin-api-key", detail: "Anthropic API key", hints: []string{"sk-ant-"}, entropy: 0,
		re: `sk-ant-(?:api03|admin01)-[A-Za-z0-9_\-]{93}AA`},
	{rule: "artifactory-api-key", detail: "JFrog Artifactory API key", hints: []string{"AKCp"}, entropy: 4.5,
		re: `AKCp[A-Za-z0-9]{69}`},
	{rule: "artifactory-reference-token", detail: "JFrog Artifactory reference token", hints: []string{"cmVmd"}, entropy: 4.5,
		re: `cmVmd[A-Za-z0-9]{59}`},
	{rule: "aws-amazon-bedrock-api-key-long-lived", detail: "Amazon Bedrock API key", hints: []string{"ABSK"}, entropy: 3.0,
		re: `ABSK[A-Za-z0-9+/]{109,269}={0,2}`},
	{rule: "azure-ad-client-secret", detail: "Azure AD client secret", hints: []string{"Q~"}, entropy: 3.0,
		re: `[a-zA-Z0-9_~.]{3}[0-9]Q~[a-zA-Z0-9_~.\-]{31,34}`},
	{rule: "cloudflare-origin-ca-key", detail: "Cloudflare Origin CA key", hints: []string{"v1.0-"}, entropy: 2.0,
		re: `v1\.0-[a-f0-9]{24}-[a-f0-9]{146}`},
	{rule: "databricks-api-token", detail: "Databricks API token", hints: []string{"dapi"}, entropy: 3.0,
		re: `dapi[a-f0-9]{32}(?:-[0-9])?`},
	{rule: "digitalocean-pat, digitalocean-access-token, digitalocean-refresh-token", detail: "DigitalOcean token", hints: []string{"_v1_"}, entropy: 3.0,
		re: `do[opr]_v1_[a-f0-9]{64}`},
	{rule: "doppler-api-token", detail: "Doppler API token", hints: []string{"dp.pt."}, entropy: 2.0,
		re: `dp\.pt\.[A-Za-z0-9]{43}`},
	{rule: "dynatrace-api-token", detail: "Dynatrace API token", hints: []string{"dt0c01."}, entropy: 4.0,
		re: `dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}`},
	{rule: "flyio-access-token", detail: "Fly.io access token", hints: []string{"fo1_", "fm1", "fm2_"}, entropy: 4.0,
		re: `(?:fo1_[A-Za-z0-9_\-]{43}|fm1[ar]_[A-Za-z0-9+/]{100,}={0,3}|fm2_[A-Za-z0-9+/]{100,}={0,3})`},
	{rule: "gitlab-deploy-token, gitlab-runner-authentication-token, gitlab-feed-token, gitlab-scim-token, gitlab-feature-flag-client-token", detail: "GitLab token", hints: []string{"gldt-", "glrt-", "glft-", "glsoat-", "glffct-"}, entropy: 3.0,
		re: `gl(?:dt|rt|ft|soat|ffct)-[0-9A-Za-z_\-]{20,}`},
	{rule: "gitlab-kubernetes-agent-token", detail: "GitLab agent for Kubernetes token", hints: []string{"glagent-"}, entropy: 3.0,
		re: `glagent-[0-9A-Za-z_\-]{50}`},
	{rule: "gitlab-cicd-job-token", detail: "GitLab CI/CD job token", hints: []string{"glcbt-"}, entropy: 3.0,
		re: `glcbt-[0-9A-Za-z]{1,5}_[0-9A-Za-z_\-]{20}`},
	{rule: "gitlab-incoming-mail-token, gitlab-oauth-app-secret, gitlab-ptt", detail: "GitLab token", hints: []string{"glimt-", "gloas-", "glptt-"}, entropy: 3.0,
		re: `(?:glimt-[0-9A-Za-z_\-]{25}|gloas-[0-9A-Za-z_\-]{64}|glptt-[0-9a-f]{40})`},
	{rule: "gitlab-rrt", detail: "GitLab runner registration token", hints: []string{"GR1348941"}, entropy: 3.0,
		re: `GR1348941[A-Za-z0-9_\-]{20}`},
	{rule: "grafana-cloud-api-token", detail: "Grafana Cloud API token", hints: []string{"glc_"}, entropy: 3.0,
		re: `glc_[A-Za-z0-9+/]{32,400}={0,3}`},
	{rule: "grafana-service-account-token", detail: "Grafana service account token", hints: []string{"glsa_"}, entropy: 3.0,
		re: `glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}`},
	{rule: "grafana-api-key", detail: "Grafana API key", hints: []string{"eyJrIjoi"}, entropy: 3.0,
		re: `eyJrIjoi[A-Za-z0-9]{70,400}={0,3}`},
	{rule: "harness-api-key", detail: "Harness API key", hints: []string{"pat.", "sat."}, entropy: 0,
		re: `(?:pat|sat)\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}`},
	{rule: "hashicorp-tf-api-token", detail: "Terraform Cloud API token", hints: []string{"atlasv1"}, entropy: 3.5,
		re: `[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,70}`},
	{rule: "heroku-api-key-v2", detail: "Heroku API key", hints: []string{"HRKU-AA"}, entropy: 4.0,
		re: `HRKU-AA[0-9A-Za-z_\-]{58}`},
	{rule: "huggingface-access-token, huggingface-organization-api-token", detail: "Hugging Face token", hints: []string{"hf_", "api_org_"}, entropy: 2.0,
		re: `(?:hf_|api_org_)[A-Za-z]{34}`},
	{rule: "linear-api-key", detail: "Linear API key", hints: []string{"lin_api_"}, entropy: 2.0,
		re: `lin_api_[A-Za-z0-9]{40}`},
	{rule: "microsoft-teams-webhook", detail: "Microsoft Teams webhook URL", hints: []string{"webhook.office.com"}, entropy: 0,
		re: `https://[a-z0-9]+\.webhook\.office\.com/webhookb2/[a-z0-9]{8}-(?:[a-z0-9]{4}-){3}[a-z0-9]{12}@[a-z0-9]{8}-(?:[a-z0-9]{4}-){3}[a-z0-9]{12}/IncomingWebhook/[a-z0-9]{32}/[a-z0-9]{8}-(?:[a-z0-9]{4}-){3}[a-z0-9]{12}`},
	{rule: "notion-api-token", detail: "Notion API token", hints: []string{"ntn_"}, entropy: 4.0,
		re: `ntn_[0-9]{11}[A-Za-z0-9]{35}`},
	{rule: "npm-access-token", detail: "NPM access token", hints: []string{"npm_"}, entropy: 2.0,
		re: `npm_[A-Za-z0-9]{36}`},
	{rule: "octopus-deploy-api-key", detail: "Octopus Deploy API key", hints: []string{"API-"}, entropy: 3.0,
		re: `API-[A-Z0-9]{26}`},
	{rule: "openai-api-key", detail: "OpenAI API key", hints: []string{"T3BlbkFJ"}, entropy: 3.0,
		re: `sk-(?:(?:proj|svcacct|admin)-(?:[A-Za-z0-9_\-]{74}|[A-Za-z0-9_\-]{58})T3BlbkFJ(?:[A-Za-z0-9_\-]{74}|[A-Za-z0-9_\-]{58})|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})`},
	{rule: "openshift-user-token", detail: "OpenShift OAuth access token", hints: []string{"sha256~"}, entropy: 3.5,
		re: `sha256~[A-Za-z0-9_\-]{43}`},
	{rule: "perplexity-api-key", detail: "Perplexity API key", hints: []string{"pplx-"}, entropy: 4.0,
		re: `pplx-[A-Za-z0-9]{48}`},
	{rule: "planetscale-api-token, planetscale-oauth-token, planetscale-password", detail: "PlanetScale credential", hints: []string{"pscale_"}, entropy: 3.0,
		re: `pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_=.\-]{32,64}`},
	{rule: "postman-api-token", detail: "Postman API key", hints: []string{"PMAK-"}, entropy: 3.0,
		re: `PMAK-[A-Fa-f0-9]{24}-[A-Fa-f0-9]{34}`},
	{rule: "prefect-api-token", detail: "Prefect API key", hints: []string{"pnu_"}, entropy: 2.0,
		re: `pnu_[A-Za-z0-9]{36}`},
	{rule: "pulumi-api-token", detail: "Pulumi access token", hints: []string{"pul-"}, entropy: 2.0,
		re: `pul-[a-f0-9]{40}`},
	{rule: "pypi-upload-token", detail: "PyPI upload token", hints: []string{"pypi-AgEIcHlwaS5vcmc"}, entropy: 3.0,
		re: `pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,1000}`},
	{rule: "readme-api-token", detail: "ReadMe API key", hints: []string{"rdme_"}, entropy: 2.0,
		re: `rdme_[a-z0-9]{70}`},
	{rule: "rubygems-api-token", detail: "RubyGems API key", hints: []string{"rubygems_"}, entropy: 2.0,
		re: `rubygems_[a-f0-9]{48}`},
	{rule: "sendgrid-api-token", detail: "SendGrid API key", hints: []string{"SG."}, entropy: 2.0,
		re: `SG\.[A-Za-z0-9=_\-.]{66}`},
	{rule: "sendinblue-api-token", detail: "Brevo (Sendinblue) API key", hints: []string{"xkeysib-"}, entropy: 2.0,
		re: `xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}`},
	{rule: "sentry-user-token", detail: "Sentry user auth token", hints: []string{"sntryu_"}, entropy: 3.5,
		re: `sntryu_[a-f0-9]{64}`},
	{rule: "shopify-access-token, shopify-custom-access-token, shopify-private-app-access-token, shopify-shared-secret", detail: "Shopify access token", hints: []string{"shpat_", "shpca_", "shppa_", "shpss_"}, entropy: 2.0,
		re: `shp(?:at|ca|pa|ss)_[A-Fa-f0-9]{32}`},
	{rule: "slack-app-token", detail: "Slack app-level token", hints: []string{"xapp-"}, entropy: 2.0,
		re: `xapp-[0-9]-[A-Z0-9]+-[0-9]+-[a-z0-9]+`},
	{rule: "slack-config-refresh-token", detail: "Slack configuration refresh token", hints: []string{"xoxe-"}, entropy: 2.0,
		re: `xoxe-[0-9]-[A-Za-z0-9]{146}`},
	{rule: "vault-service-token", detail: "HashiCorp Vault service token", hints: []string{"hvs."}, entropy: 3.5,
		re: `hvs\.[A-Za-z0-9_\-]{90,120}`},
	{rule: "vault-batch-token", detail: "HashiCorp Vault batch token", hints: []string{"hvb."}, entropy: 4.0,
		re: `hvb\.[A-Za-z0-9_\-]{138,300}`},
}

// cataloguePatterns turns tokenFormats into patterns for Scan: each token stands alone,
// between characters that cannot be part of it.
func cataloguePatterns() []pattern {
	out := make([]pattern, 0, len(tokenFormats))
	for _, f := range tokenFormats {
		detail, min := f.detail, f.entropy
		out = append(out, pattern{
			kind:  ServiceCredential,
			expr:  notAlnum + `(` + f.re + `)` + notAlnumEnd,
			group: 1,
			hints: f.hints,
			check: func(v string, _ []string) (string, bool) { return detail, entropy(v) >= min },
		})
	}
	return out
}

// keyWords are the words of generic-api-key's names that Moat's strong and weak words
// (names.go) do not already take: under them only a value that looks generated counts.
var keyWords = map[string]bool{"key": true, "keys": true, "access": true, "auth": true, "api": true}

// notKeyBefore are the words before "key" (and "access", "token") that make it a
// database or keyboard term, from generic-api-key's allowlist: primary key, foreign
// key, random access, csrf token, public token. Moat adds the keys of caches, sorting,
// partitioning and routing.
var notKeyBefore = map[string]bool{
	"bucket": true, "foreign": true, "hot": true, "idx": true, "natural": true,
	"primary": true, "pub": true, "public": true, "schema": true, "sequence": true,
	"random": true, "csrf": true, "turkey": true, "monkey": true, "donkey": true,
	// Moat's additions.
	"cache": true, "sort": true, "partition": true, "routing": true, "shard": true,
	"idempotency": true, "dedup": true, "unique": true, "composite": true, "lookup": true,
}

// notKeyAfter are the words after the last key word that make the name about
// something else, from generic-api-key's allowlist (key alias, key id, key pair, key
// size, keystore file, api version, ...); qualifiers (names.go) hold the rest.
var notKeyAfter = map[string]bool{
	"alias": true, "board": true, "code": true, "frame": true, "pair": true, "press": true,
	"pressed": true, "ring": true, "selector": true, "signature": true, "stone": true,
	"storetype": true, "word": true, "up": true, "down": true, "left": true, "right": true,
	"vault": true, "store": true, "tab": true, "log": true, "logs": true, "level": true,
	"control": true, "list": true, "rules": true, "rule": true,
}

// isKeyName reports a name that holds one of keyWords, not made about something else
// by the words around it: AZURE_STORAGE_KEY, AZURE_BATCH_KEY, OCI_CLI_KEY_CONTENT,
// DB_ACCESS; not PRIMARY_KEY, KEY_ID, API_VERSION, ACCESS_LOG.
func isKeyName(name string) bool { return keyNameWords(words(name)) }

// keyNameWords is isKeyName of a name's words.
func keyNameWords(w []string) bool {
	last := -1
	for i := range w {
		if keyWords[w[i]] && (i == 0 || !notKeyBefore[w[i-1]]) {
			last = i
		}
	}
	if last < 0 || has(w, "public") {
		return false
	}
	for _, q := range w[last+1:] {
		if qualifiers[q] || notKeyAfter[q] {
			return false
		}
	}
	return true
}

// generatedRE is generic-api-key's value: one token of 10 to 150 characters.
var generatedRE = regexp.MustCompile(`^[A-Za-z0-9_.=+/~\-]{10,150}$`)

// filePathRE is a path: absolute, relative to here or home, or "namespace/name".
// (pathRE is looser: it takes base64 with slashes for a path.)
var filePathRE = guard(`^(?:\.{0,2}/|~/)|^[a-z0-9][a-z0-9._\-]*(?:/[a-z0-9][a-z0-9._\-]*)+/?$`, holds("/"))

// lettersRE is generic-api-key's allowlist of values that are letters alone.
var lettersRE = regexp.MustCompile(`^[A-Za-z_.\-]+$`)

// looksGenerated reports a value that looks made by a generator rather than by a
// person: generic-api-key's test (one token of 10 to 150 characters, not letters
// alone, at least 3.5 bits of entropy a character), without the shapes of values
// that are not secret (UUIDs, hostnames, versions, resource names, digests, paths,
// URLs, references, placeholders) and without identifiers made of words, which
// stand in for gitleaks' list of stop words.
func looksGenerated(v string) bool {
	v = strings.Trim(strings.TrimSpace(v), `"'`)
	if !generatedRE.MatchString(v) || lettersRE.MatchString(v) || entropy(v) < 3.5 {
		return false
	}
	if uuidRE.MatchString(v) || dottedRE.MatchString(v) || kebabRE.MatchString(v) ||
		versionRE.MatchString(v) || digestRE.MatchString(v) || filePathRE.MatchString(v) ||
		schemeRE.MatchString(v) || isPlaceholder(v) || isReference(v) || wordy(v) {
		return false
	}
	return true
}
