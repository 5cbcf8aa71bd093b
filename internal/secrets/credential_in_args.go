// Rule secret/credential-in-args: no container command or argument should carry a
// literal credential. Reported are credentials recognised by their format anywhere in
// command[] and args[] (a token in a curl header, a password in a URL), and literal
// values of credential-named flags and assignments: --password=VALUE, --client-secret
// VALUE (the next word or the next list item), PGPASSWORD=VALUE in a shell line. Values
// that reference the environment ("$(DB_PASSWORD)", "$TOKEN") are not credentials.
package secrets

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "secret/credential-in-args",
			Title:    "Credential in a container command or arguments",
			Severity: finding.High,
			Description: `A container's command or args hold a literal credential: a token, key or password recognised by
its format, or the literal value of a flag or shell variable named like a credential
(--password=..., --api-key ..., PGPASSWORD=...). Arguments are stored in the manifest and
etcd in clear, shown by kubectl describe, and visible on the node to every process through
/proc/PID/cmdline. NSA/CISA Kubernetes Hardening Guide, Secrets; MITRE ATT&CK T1552.007
(Unsecured Credentials: Container API). Messages show no part of the value, nor its
length.`,
			Remediation: "Pass the credential in a file mounted from a Secret (--password-file=/run/secrets/...) or, if the program only reads flags, through an environment variable from secretKeyRef referenced as $(VAR); rotate the exposed credential.",
			Frameworks:  finding.Frameworks{NSA: nsaSecrets, MITRE: mitreContainerAPI},
			Kinds:       podspec.Kinds,
		},
		Object: checkCredentialInArgs,
		CEL:    &rule.CEL{Unexportable: entropyReason},
	})
}

func checkCredentialInArgs(_ *rule.Context, o *inventory.Object) []rule.Result {
	pod, ok := podspec.Of(o)
	if !ok {
		return nil
	}
	var out []rule.Result
	for c := range pod.AllContainers {
		for _, list := range []struct {
			field string
			items []string
		}{{"command", c.Command}, {"args", c.Args}} {
			for _, hit := range argCredentials(list.items) {
				where := fmt.Sprintf("%s[%d]", list.field, hit.index)
				msg := fmt.Sprintf("%s has %s in %s", c.Describe(), what(hit.Match), where)
				if hit.flag != "" {
					msg = fmt.Sprintf("%s passes %s to %s in %s", c.Describe(), what(hit.Match), hit.flag, where)
				}
				out = append(out, rule.Result{
					Message:  msg + "; read it from a mounted Secret file instead",
					Path:     fmt.Sprintf("%s.%s[%d]", c.Path, list.field, hit.index),
					Severity: severityOf(hit.Match),
				})
			}
		}
	}
	return out
}

// argHit is a credential in one item of a command or args list.
type argHit struct {
	Match
	index int    // the list item that holds the value
	flag  string // the flag or variable it is given to, if any
}

var (
	// flagRE is "--name=value", "-name=value" or "NAME=value".
	flagRE = regexp.MustCompile(`^(--?[A-Za-z][A-Za-z0-9_.\-]*|[A-Za-z_][A-Za-z0-9_.\-]*)=(.*)$`)
	// bareFlagRE is a flag given alone, whose value is the next word.
	bareFlagRE = regexp.MustCompile(`^--?[A-Za-z][A-Za-z0-9_.\-]*$`)
	// innerRE is a value that is itself an assignment: --from-literal=password=VALUE.
	innerRE = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.\-]*)=(.+)$`)
)

// argCredentials finds the credentials in a command or args list.
func argCredentials(items []string) []argHit {
	var out []argHit
	for i, item := range items {
		taken := newClaims(len(item))
		for _, m := range Scan(item) {
			taken.claim(m.Offset, m.Offset+len(m.Value))
			out = append(out, argHit{Match: m, index: i})
		}
		words := shellWords(item)
		for w, word := range words {
			name, value, ok := flagValue(word)
			at := i
			if !ok {
				// "--password VALUE": the value is the next word, or the next item
				// when the flag is an item of its own.
				if !strings.HasPrefix(word, "-") || !bareFlagRE.MatchString(word) || !takesCredential(word) {
					continue
				}
				switch {
				case w+1 < len(words):
					name, value = word, words[w+1]
				case len(words) == 1 && i+1 < len(items):
					name, value, at = word, items[i+1], i+1
				default:
					continue
				}
				if strings.HasPrefix(value, "-") {
					continue
				}
			}
			m, ok := namedValue(name, value)
			if !ok {
				continue
			}
			if at == i {
				if k := strings.Index(item, m.Value); k >= 0 && !taken.claim(k, k+len(m.Value)) {
					continue
				}
			} else if len(Scan(items[at])) > 0 {
				continue // reported with its own item
			}
			out = append(out, argHit{Match: m, index: at, flag: name})
		}
	}
	return out
}

// userPasswordFlags take "user:password" (curl -u, --user).
var userPasswordFlags = map[string]bool{"-u": true, "--user": true, "--proxy-user": true, "-U": true}

func takesCredential(flag string) bool {
	name := strings.TrimLeft(flag, "-")
	return userPasswordFlags[flag] || IsCredentialName(name) || isKeyName(name)
}

// flagValue splits "--name=value" and "NAME=value"; a value that is an assignment in
// turn ("--from-literal=password=VALUE") gives its inner name and value.
func flagValue(word string) (name, value string, ok bool) {
	if strings.IndexByte(word, '=') < 0 {
		return "", "", false // flagRE needs one; most words have none
	}
	m := flagRE.FindStringSubmatch(word)
	if m == nil {
		return "", "", false
	}
	name, value = m[1], m[2]
	if !strings.Contains(value, "=") {
		return name, value, true // innerRE needs one
	}
	if in := innerRE.FindStringSubmatch(value); in != nil && !IsCredentialName(strings.TrimLeft(name, "-")) {
		name, value = in[1], in[2]
	}
	return name, value, true
}

// namedValue judges the value given to a flag or variable: a credential by its format
// or randomness, or a literal under a credential name.
func namedValue(name, value string) (Match, bool) {
	if userPasswordFlags[name] {
		user, pass, ok := strings.Cut(value, ":")
		if ok && user != "" && LiteralSecret(pass) {
			return Match{Kind: NamedCredential, Value: pass}, true
		}
		return Match{}, false
	}
	bare := strings.TrimLeft(name, "-")
	if m, ok := Detect(bare, value); ok {
		return m, true
	}
	return namedLiteral(bare, value) // Named's authValue failed in Detect
}

// shellWords splits a shell line into words the way sh does for simple lines: at
// blanks, keeping quoted strings whole (without their quotes) and backslash escapes.
// Operators (;, &&, |) end a word. It is enough to find NAME=VALUE and --flag VALUE.
func shellWords(line string) []string {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote rune
	flush := func() {
		if inWord {
			out = append(out, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else if r == '\\' && quote == '"' && i+1 < len(rs) {
				i++
				cur.WriteRune(rs[i])
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '\\' && i+1 < len(rs):
			i++
			cur.WriteRune(rs[i])
			inWord = true
		case r == ' ' || r == '\t' || r == '\n' || r == ';' || r == '|' || r == '&':
			flush()
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	flush()
	return out
}
