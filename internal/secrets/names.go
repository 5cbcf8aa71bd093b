package secrets

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The name classifier: does a variable, key or flag name say that its value is a
// credential? DB_PASSWORD, apiKey, client-secret, GITHUB_TOKEN, BASIC_AUTH do;
// TOKEN_TTL, PASSWORD_FILE, SECRET_NAME, TLS_KEY_PATH, AUTH_URL do not: they name a
// property of a credential or where it is, not the credential.

// strong words name a credential wherever they stand in the name.
var strong = map[string]bool{
	"password": true, "passwd": true, "passphrase": true, "secret": true, "secrets": true,
	"token": true, "tokens": true, "apikey": true, "apikeys": true, "credential": true,
	"credentials": true, "creds": true, "privatekey": true, "secretkey": true,
	"accesskey": true, "clientsecret": true, "authorization": true, "authtoken": true,
	"accesstoken": true, "apitoken": true, "masterkey": true, "signingkey": true,
	"encryptionkey": true,
}

// weak words name a credential only as the last word of a longer name: DB_PASS,
// BASIC_AUTH, MYSQL_PWD; but not PWD (the shell's working directory) or AUTH_MODE.
var weak = map[string]bool{"pass": true, "pwd": true, "pw": true, "auth": true}

// keyQualifiers turn a following "key" into a credential: API_KEY, PRIVATE_KEY,
// ACCESS_KEY, SECRET_KEY, STORAGE_ACCOUNT_KEY. A bare KEY (CACHE_KEY) is not one.
var keyQualifiers = map[string]bool{
	"api": true, "private": true, "access": true, "secret": true, "signing": true,
	"encryption": true, "master": true, "auth": true, "account": true, "session": true,
	"shared": true, "client": true, "hmac": true,
}

// qualifiers after the last credential word make the name about something else: its
// file, lifetime, length, endpoint, identity or setting.
var qualifiers = map[string]bool{
	"file": true, "files": true, "path": true, "paths": true, "dir": true, "directory": true,
	"folder": true, "location": true, "mount": true, "name": true, "names": true,
	"ttl": true, "expiry": true, "expires": true, "expiration": true, "exp": true,
	"timeout": true, "lifetime": true, "duration": true, "interval": true, "period": true,
	"seconds": true, "secs": true, "sec": true, "ms": true, "minutes": true, "mins": true,
	"hours": true, "days": true, "age": true, "length": true, "len": true, "size": true,
	"min": true, "max": true, "minimum": true, "maximum": true, "count": true, "limit": true,
	"url": true, "uri": true, "urls": true, "endpoint": true, "host": true, "hostname": true,
	"port": true, "addr": true, "address": true, "server": true, "service": true, "svc": true,
	"domain": true, "realm": true, "issuer": true, "audience": true, "aud": true,
	"scope": true, "scopes": true, "type": true, "kind": true, "mode": true, "method": true,
	"algorithm": true, "alg": true, "format": true, "encoding": true, "header": true,
	"prefix": true, "suffix": true, "id": true, "ids": true, "ref": true, "reference": true,
	"arn": true, "version": true, "enabled": true, "enable": true, "disabled": true,
	"disable": true, "required": true, "optional": true, "policy": true, "policies": true,
	"rotation": true, "rotate": true, "strategy": true, "provider": true, "store": true,
	"backend": true, "manager": true, "source": true, "env": true, "var": true,
	"variable": true, "field": true, "fields": true, "param": true, "regex": true,
	"pattern": true, "template": true, "generator": true, "rounds": true, "cost": true,
	"retries": true, "attempts": true, "threshold": true, "check": true, "validation": true,
	"validate": true, "verify": true, "callback": true, "redirect": true, "label": true,
	"labels": true, "annotation": true, "selector": true, "namespace": true, "ns": true,
	"username": true, "user": true, "login": true, "email": true,
	"secretname": true, "secretref": true, "keyref": true, "cert": true, "certificate": true,
	"crt": true, "ca": true, "mechanism": true, "flow": true, "grant": true,
	"complexity": true, "strength": true, "reset": true, "hint": true,
	"question": true, "sha": true, "checksum": true, "digest": true, "public": true,
	"pub": true, "fingerprint": true, "kid": true, "keyid": true, "index": true, "stdin": true,
	"prompt": true, "command": true, "cmd": true, "helper": true, "program": true,
	"script": true, "exec": true, "help": true, "description": true, "desc": true,
}

// IsCredentialName reports whether a name says its value is a credential.
func IsCredentialName(name string) bool { return credentialWords(words(name)) }

// credentialWords is IsCredentialName of a name's words.
func credentialWords(w []string) bool {
	last := -1
	for i := range w {
		switch {
		case strong[w[i]] || endsWithStrong(w[i]):
			last = i
		case w[i] == "key" && i > 0 && keyQualifiers[w[i-1]]:
			last = i
		case weak[w[i]] && i == len(w)-1 && len(w) > 1:
			last = i
		}
	}
	if last < 0 {
		return false
	}
	for _, q := range w[last+1:] {
		if qualifiers[q] {
			return false
		}
	}
	// A leading "public" or a trailing "public key" names what may be shown.
	return !has(w, "public")
}

// endsWithStrong reports a word that glues a prefix to a credential word, as shell
// variables do: PGPASSWORD, MYSQLPASSWORD, GITHUBTOKEN.
func endsWithStrong(w string) bool {
	for _, s := range []string{"password", "passwd", "secret", "token", "apikey"} {
		if len(w) > len(s) && strings.HasSuffix(w, s) {
			return true
		}
	}
	return false
}

// words splits a name into lower-case words at punctuation, digits-to-letters changes
// and camelCase boundaries: "dbPassword" and "DB_PASSWORD" give [db password];
// "spring.datasource.password" gives [spring datasource password]; "APIKey" gives
// [api key]; "APIKEY" gives [apikey].
func words(name string) []string { return appendWords(nil, name) }

// appendWords appends the words of name (see words) to out. Names are nearly always
// ASCII, and an ASCII name is split in place: its words are parts of its lower case,
// made once, and not each a copy.
func appendWords(out []string, name string) []string {
	// The last path segment names the value: "example.com/db-password" → db-password.
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return appendWordsUnicode(out, name)
		}
	}
	lower := strings.ToLower(name) // the same length and boundaries: ASCII
	start := -1                    // where the current word starts; -1: none
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isASCIILetter(c) && !isASCIIDigit(c) {
			if start >= 0 {
				out = appendWord(out, name, lower, start, i)
				start = -1
			}
			continue
		}
		if start >= 0 {
			prev := name[i-1]
			if isASCIILower(prev) && isASCIIUpper(c) || // dbPassword
				isASCIIUpper(prev) && isASCIIUpper(c) && i+1 < len(name) && isASCIILower(name[i+1]) { // APIKey → API Key
				out = appendWord(out, name, lower, start, i)
				start = -1
			}
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = appendWord(out, name, lower, start, len(name))
	}
	return out
}

// appendWord appends the word name[start:end], in lower case and without trailing
// digits (PASSWORD2 and oauth2 are still password and oauth), or as written when it is
// all digits.
func appendWord(out []string, name, lower string, start, end int) []string {
	w := strings.TrimRight(lower[start:end], "0123456789")
	if w == "" {
		w = name[start:end]
	}
	return append(out, w)
}

func isASCIILetter(c byte) bool { return isASCIILower(c) || isASCIIUpper(c) }
func isASCIILower(c byte) bool  { return 'a' <= c && c <= 'z' }
func isASCIIUpper(c byte) bool  { return 'A' <= c && c <= 'Z' }
func isASCIIDigit(c byte) bool  { return '0' <= c && c <= '9' }

// appendWordsUnicode is appendWords for a name with characters outside ASCII.
func appendWordsUnicode(out []string, name string) []string {
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			w := strings.TrimRight(strings.ToLower(string(cur)), "0123456789")
			if w == "" {
				w = string(cur)
			}
			out = append(out, w)
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if i > 0 && len(cur) > 0 {
			prev := rs[i-1]
			switch {
			case unicode.IsLower(prev) && unicode.IsUpper(r):
				flush() // dbPassword
			case unicode.IsUpper(prev) && unicode.IsUpper(r) && i+1 < len(rs) && unicode.IsLower(rs[i+1]):
				flush() // APIKey → API Key
			}
		}
		cur = append(cur, r)
	}
	flush()
	return out
}

func has(ws []string, w string) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}
