package kubetest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"
)

// Files of WithEtcdTLS beneath PKI, named as kubeadm names them.
const (
	etcdDir            = "etcd"
	etcdCACertFile     = "etcd/ca.crt"
	etcdServerCertFile = "etcd/server.crt"
	etcdServerKeyFile  = "etcd/server.key"
	etcdPeerCertFile   = "etcd/peer.crt"
	etcdPeerKeyFile    = "etcd/peer.key"
	etcdClientCertFile = "apiserver-etcd-client.crt"
	etcdClientKeyFile  = "apiserver-etcd-client.key"
)

// etcdCredentials makes etcd's CA, its serving and peer certificates and the
// API server's client certificate, adds them to files (by name beneath PKI),
// and returns an HTTP client that authenticates to etcd with the latter.
func etcdCredentials(files map[string][]byte) (*http.Client, error) {
	ca, err := newAuthority("kubetest-etcd-ca")
	if err != nil {
		return nil, err
	}
	hosts := []string{"127.0.0.1", "localhost"}
	// etcd's grpc-gateway connects to etcd's own gRPC server with the serving
	// certificate, so with --client-cert-auth that one must be a client's too.
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	serverCert, serverKey, err := ca.hostCert(hosts, both...)
	if err != nil {
		return nil, err
	}
	peerCert, peerKey, err := ca.hostCert(hosts, both...)
	if err != nil {
		return nil, err
	}
	clientCert, clientKey, err := ca.clientCert("kube-apiserver-etcd-client", nil)
	if err != nil {
		return nil, err
	}
	files[etcdCACertFile] = ca.certPEM
	files[etcdServerCertFile], files[etcdServerKeyFile] = serverCert, serverKey
	files[etcdPeerCertFile], files[etcdPeerKeyFile] = peerCert, peerKey
	files[etcdClientCertFile], files[etcdClientKeyFile] = clientCert, clientKey

	pair, err := tls.X509KeyPair(clientCert, clientKey)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs:      roots,
		Certificates: []tls.Certificate{pair},
		MinVersion:   tls.VersionTLS12,
	}}}, nil
}

// etcdTLSFlags are etcd's flags for TLS to clients and peers, each with a
// client certificate required.
func etcdTLSFlags(pki string) []string {
	f := func(name string) string { return filepath.Join(pki, name) }
	return []string{
		"--cert-file=" + f(etcdServerCertFile),
		"--key-file=" + f(etcdServerKeyFile),
		"--trusted-ca-file=" + f(etcdCACertFile),
		"--client-cert-auth=true",
		"--peer-cert-file=" + f(etcdPeerCertFile),
		"--peer-key-file=" + f(etcdPeerKeyFile),
		"--peer-trusted-ca-file=" + f(etcdCACertFile),
		"--peer-client-cert-auth=true",
	}
}

// EtcdDataDir is etcd's --data-dir.
func (c *Cluster) EtcdDataDir() string { return c.etcdData }

// EtcdGet reads a key straight from etcd, past the API server, through etcd's
// gRPC gateway (POST /v3/kv/range): what the API server stored, e.g.
// "/registry/secrets/NAMESPACE/NAME", to see whether it is encrypted. found is
// false when the key does not exist.
func (c *Cluster) EtcdGet(ctx context.Context, key string) (value []byte, found bool, err error) {
	// The gateway takes and returns keys and values as base64 in JSON, which
	// encoding/json does for []byte.
	body, err := json.Marshal(struct {
		Key []byte `json:"key"`
	}{[]byte(key)})
	if err != nil {
		return nil, false, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.EtcdURL+"/v3/kv/range", bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.etcdHTTP.Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("kubetest: etcd get %s: %w", key, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, false, fmt.Errorf("kubetest: etcd get %s: %w", key, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, false, fmt.Errorf("kubetest: etcd get %s: %s: %s", key, resp.Status, bytes.TrimSpace(data))
	}
	var out struct {
		KVs []struct {
			Key   []byte `json:"key"`
			Value []byte `json:"value"`
		} `json:"kvs"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, false, fmt.Errorf("kubetest: etcd get %s: %w", key, err)
	}
	for _, kv := range out.KVs {
		if string(kv.Key) == key {
			return kv.Value, true, nil
		}
	}
	if len(out.KVs) > 0 {
		return nil, false, errors.New("kubetest: etcd get " + key + ": answer for another key")
	}
	return nil, false, nil
}
