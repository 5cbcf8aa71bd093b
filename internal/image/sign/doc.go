// Package sign verifies the signatures of container images with sigstore-go.
//
// A Policy (the images.signatures section of Moat's config file, read by ParsePolicy)
// says which images must be signed and by whom: public keys for keyed signatures, issuer
// and subject for keyless ones, and the trusted root (Sigstore's trusted_root.json) that
// keyless certificates, transparency log entries and timestamps are checked against.
// Verification is offline: nothing is fetched but the image's own signatures from its
// registry, and VerifyBundle needs no registry at all.
//
// A Verifier finds the signatures attached to an image digest in the two places cosign and
// other Sigstore clients put them:
//   - OCI 1.1 referrers (the referrers API, or its fallback tag sha256-<hex>): Sigstore
//     bundles (application/vnd.dev.sigstore.bundle.v0.3+json), and cosign's signature
//     artifacts (application/vnd.dev.cosign.artifact.sig.v1+json);
//   - cosign's tag scheme (sha256-<hex>.sig): one simple-signing payload per layer, with
//     the signature, certificate, Rekor bundle and RFC 3161 timestamp in annotations.
//
// Each signature is turned into a Sigstore bundle and verified with sigstore-go against
// the rule; what was signed must name the image's digest. The image is verified when one
// signature passes. Every registry read is bounded in time (the caller's context and
// Options.Timeout), in bytes and in count.
//
// The package decides nothing about findings or admission: it answers "is this digest
// signed as the rule asks, and if not, why". Package signtest makes signatures for tests.
package sign
