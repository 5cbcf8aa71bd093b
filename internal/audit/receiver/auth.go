package receiver

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"net/http"
	"slices"
	"strings"
)

// Auth says who may post audit events. A request is accepted when any enabled method
// accepts it; with none enabled (the zero value) every request is refused with 401.
type Auth struct {
	// ClientCert accepts a request whose TLS client certificate the server verified
	// against its client CA (tls.Config.ClientCAs with ClientAuth at least
	// VerifyClientCertIfGiven: see server.go).
	ClientCert bool
	// ClientNames, when set, narrows ClientCert to certificates whose Common Name or one
	// of whose DNS names is in the list: a CA that also signs other clients (a cluster's
	// client CA signs every user and kubelet) then admits only the API server.
	ClientNames []string
	// Token accepts a request with "Authorization: Bearer <Token>", compared in
	// constant time.
	Token string
	// Unauthenticated accepts every request. Anyone who reaches the port can then raise
	// alerts with forged events, or fill the queue so that the API server's batches are
	// refused: only for tests and for a port nothing else can reach.
	Unauthenticated bool
}

// Enabled reports whether some method accepts requests.
func (a Auth) Enabled() bool { return a.ClientCert || a.Token != "" || a.Unauthenticated }

type authenticator struct {
	cert     bool
	names    []string
	token    bool
	tokenSum [sha256.Size]byte
	anyone   bool
}

func newAuthenticator(a Auth) authenticator {
	au := authenticator{cert: a.ClientCert, names: a.ClientNames, token: a.Token != "", anyone: a.Unauthenticated}
	if au.token {
		au.tokenSum = sha256.Sum256([]byte(a.Token))
	}
	return au
}

func (a authenticator) allows(req *http.Request) bool {
	if a.anyone {
		return true
	}
	if a.cert && req.TLS != nil && len(req.TLS.VerifiedChains) > 0 && len(req.TLS.VerifiedChains[0]) > 0 &&
		a.nameAllowed(req.TLS.VerifiedChains[0][0]) {
		return true
	}
	if a.token {
		h := req.Header.Get("Authorization")
		if len(h) > len("Bearer ") && strings.EqualFold(h[:len("Bearer ")], "Bearer ") {
			// Hashing first makes the comparison constant time in the token's length too.
			got := sha256.Sum256([]byte(h[len("Bearer "):]))
			if subtle.ConstantTimeCompare(got[:], a.tokenSum[:]) == 1 {
				return true
			}
		}
	}
	return false
}

func (a authenticator) nameAllowed(c *x509.Certificate) bool {
	if len(a.names) == 0 {
		return true
	}
	return slices.Contains(a.names, c.Subject.CommonName) || slices.ContainsFunc(c.DNSNames, func(n string) bool { return slices.Contains(a.names, n) })
}
