// Package certinfo answers every question this project asks about an X.509
// certificate and a chain of them, so that the live probe, `inspect`
// (internal/certcheck), the controller and the sidecar answer them alike:
//
//   - the facts a report shows (Of, OfChain, Fingerprint), with the same
//     field names and formats in probe and inspect JSON and WSSEndpoint status;
//   - who issued whom: SelfIssued, SelfSigned (signature-checked), IssuedBy
//     (names, key identifiers, CA flag, key usage and signature), CannotIssue;
//   - which signature algorithms clients reject (InsecureSignatureAlgorithm,
//     InsecurelySigned);
//   - path building over a certificate list in any order and of any size
//     (Relation: the leaf, each certificate's issuer, the path from a
//     certificate to its root), bounded against hostile input.
//
// It checks signatures but does not judge trust or validity: crypto/x509
// verification and the reasons of api/v1alpha1 stay with the callers.
package certinfo
