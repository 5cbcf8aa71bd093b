package webhook

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certReloader serves a certificate and key from disk and loads them again when
// either file changes (size or modification time), as when cert-manager or a
// Secret volume rotates them. A pair that fails to load (a half-written rotation)
// is logged and the previous certificate kept.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu       sync.Mutex
	cert     *tls.Certificate
	certStat stamp
	keyStat  stamp
}

type stamp struct {
	size int64
	mod  time.Time
}

func stampOf(path string) (stamp, error) {
	st, err := os.Stat(path)
	if err != nil {
		return stamp{}, err
	}
	return stamp{st.Size(), st.ModTime()}, nil
}

func newCertReloader(certFile, keyFile string) (*certReloader, error) {
	if certFile == "" || keyFile == "" {
		return nil, fmt.Errorf("a TLS certificate and key are required (--tls-cert, --tls-key)")
	}
	c := &certReloader{certFile: certFile, keyFile: keyFile, log: slog.Default()}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certReloader) load() error {
	cs, err := stampOf(c.certFile)
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	ks, err := stampOf(c.keyFile)
	if err != nil {
		return fmt.Errorf("TLS key: %w", err)
	}
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate %s and key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cert, c.certStat, c.keyStat = &pair, cs, ks
	return nil
}

// get is tls.Config.GetCertificate: it checks the files at each handshake (two stats,
// small beside a handshake) and reloads them when they changed.
func (c *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs, err1 := stampOf(c.certFile)
	ks, err2 := stampOf(c.keyFile)
	if err1 == nil && err2 == nil && (cs != c.certStat || ks != c.keyStat) {
		if err := c.load(); err != nil {
			c.log.Warn("keeping the previous TLS certificate", "err", err)
		} else {
			c.log.Info("reloaded TLS certificate", "cert", c.certFile, "key", c.keyFile)
		}
	}
	return c.cert, nil
}
