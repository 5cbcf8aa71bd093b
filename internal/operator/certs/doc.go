// Package certs issues and rotates the admission webhook's certificates from inside the
// cluster: a CA and a serving certificate signed by it, kept in one kubernetes.io/tls
// Secret (tls.crt, tls.key, ca.crt, and ca.key, the CA's key), and the CA bundle of the
// named ValidatingWebhookConfigurations, so that the API server trusts what the webhook
// serves. The operator runs a Rotator while it is the leader.
//
// What it promises:
//
//   - Keys are ECDSA P-256; the CA lives 10x as long as a serving certificate; the
//     serving certificate names the Service (NAME.NS.svc, NAME.NS.svc.cluster.local,
//     NAME.NS, NAME) and the extra names or IP addresses of Options.ExtraSANs, for
//     serverAuth only.
//   - A Secret whose contents are valid and name the Service is used as it is: a restart
//     or a new leader rotates nothing. Contents that do not parse, do not match, or are
//     larger than a certificate can be are replaced, and the reason is logged.
//   - Rotation never breaks admission. The API server must trust the certificate a
//     webhook pod serves at every moment, and pods serve the files of the Secret as the
//     kubelet last refreshed them (within about a minute). So a new CA goes into every
//     caBundle beside the old ones first; the serving certificate it signs is written to
//     the Secret only a grace period later (the API server has loaded the new bundle);
//     and the CAs that no longer sign the current certificate leave the bundles a grace
//     period after that (every pod serves the new certificate). A serving certificate
//     renewed by the same CA needs no bundle change.
//   - The progress of a rotation is kept in the Secret's annotations
//     (certs.moat.dev/ca-rotated-at, certs.moat.dev/cert-rotated-at), never in memory,
//     so that a restarted operator or a new leader continues where the last one stopped.
//   - An object is written only when its content differs; a write that conflicts is
//     retried on a fresh read, a bounded number of times.
//
// What it must not do: serve TLS itself, read the webhook pods' files, or write any
// object other than the one Secret and the named webhook configurations.
package certs
