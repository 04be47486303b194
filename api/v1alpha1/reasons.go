package v1alpha1

// The reason vocabulary. Every failure the operator, the probe, the inspector
// or the sidecar reports is named by exactly one of these strings: in CLI JSON
// output, in status condition reasons, in event reasons and in the `reason`
// label of metrics. The list is closed so that metric label sets stay bounded.
// remedies.go holds the fix that goes with each (README.md, "Reasons", shows
// the same table).

// Live probe phases (Result.Phase of wss-operator probe), in probe order.
const (
	PhaseDNS     = "dns"
	PhaseConnect = "connect"
	PhaseTLS     = "tls"
	PhaseUpgrade = "upgrade"
	PhasePing    = "ping"
	// PhaseIdle is the optional hold after a healthy ping (probe --idle).
	PhaseIdle = "idle"
)

// Live probe reasons (wss-operator probe, condition HandshakeHealthy).
const (
	// ReasonHealthy means TLS verified, the upgrade returned 101 with a correct
	// Sec-WebSocket-Accept, and a ping was answered.
	ReasonHealthy = "Healthy"
	// ReasonDNSFailure means the host name does not resolve.
	ReasonDNSFailure = "DNSFailure"
	// ReasonConnectionRefused means nothing listens on the address.
	ReasonConnectionRefused = "ConnectionRefused"
	// ReasonConnectionReset means the peer reset the connection.
	ReasonConnectionReset = "ConnectionReset"
	// ReasonTimeout means a phase did not finish in time; the message names the phase.
	ReasonTimeout = "Timeout"
	// ReasonNotTLS means the port answers, but not with TLS (e.g. plain HTTP).
	ReasonNotTLS = "NotTLS"
	// ReasonProtocolVersionMismatch means there is no TLS version in common.
	ReasonProtocolVersionMismatch = "ProtocolVersionMismatch"
	// ReasonNoSharedCipher means there is no cipher suite or key-exchange group in common.
	ReasonNoSharedCipher = "NoSharedCipher"
	// ReasonClientCertificateRequired means the server demands a client
	// certificate that was not given or not accepted.
	ReasonClientCertificateRequired = "ClientCertificateRequired"
	// ReasonCertificateExpired means the served leaf (or a chain member) is past notAfter.
	ReasonCertificateExpired = "CertificateExpired"
	// ReasonCertificateNotYetValid means the served leaf is before notBefore.
	ReasonCertificateNotYetValid = "CertificateNotYetValid"
	// ReasonHostnameMismatch means the served leaf does not cover the requested host.
	ReasonHostnameMismatch = "HostnameMismatch"
	// ReasonChainIncomplete means the server does not send the intermediate(s)
	// needed to reach a trusted root (also an inspect finding: tls.crt plus the
	// CA bundle do not reach a root).
	ReasonChainIncomplete = "ChainIncomplete"
	// ReasonUnknownAuthority means the chain ends at a root the client does not
	// trust (e.g. self-signed).
	ReasonUnknownAuthority = "UnknownAuthority"
	// ReasonInsecureSignatureAlgorithm means the chain uses a signature
	// algorithm clients reject (SHA-1, MD5).
	ReasonInsecureSignatureAlgorithm = "InsecureSignatureAlgorithm"
	// ReasonKeyMismatch means the private key does not belong to the
	// certificate: live, the server's handshake signature does not verify
	// with its certificate's key; offline, tls.key does not match tls.crt.
	ReasonKeyMismatch = "KeyMismatch"
	// ReasonUpgradeRejected means the HTTP answer to the upgrade was not 101
	// (and not 502/503/504).
	ReasonUpgradeRejected = "UpgradeRejected"
	// ReasonBackendUnavailable means 502/503/504: the TLS side is up, the
	// WebSocket server behind it is not.
	ReasonBackendUnavailable = "BackendUnavailable"
	// ReasonBadAcceptKey means 101 with a missing or wrong Sec-WebSocket-Accept.
	ReasonBadAcceptKey = "BadAcceptKey"
	// ReasonSubprotocolMismatch means a subprotocol was requested and the
	// server chose none of them.
	ReasonSubprotocolMismatch = "SubprotocolMismatch"
	// ReasonPingTimeout means the upgrade succeeded but no pong came back.
	ReasonPingTimeout = "PingTimeout"
	// ReasonIdleTimeout means a healthy WebSocket was closed, reset or cut
	// while it carried no traffic (probe --idle): an idle timeout on the path,
	// typically a proxy's (phase idle).
	ReasonIdleTimeout = "IdleTimeout"
	// ReasonStaleCertificate means a pod serves a different leaf than the
	// Secret holds (operator only).
	ReasonStaleCertificate = "StaleCertificate"
	// ReasonUnknown is anything else; the message carries the raw error.
	ReasonUnknown = "Unknown"
)

// Offline inspection reasons (wss-operator inspect, CertificateReady detail).
// KeyMismatch, ChainIncomplete, CertificateExpired, CertificateNotYetValid and
// InsecureSignatureAlgorithm are shared with the live probe (above).
const (
	// ReasonMalformedPEM means a file or Secret key is not parseable PEM of the expected type.
	ReasonMalformedPEM = "MalformedPEM"
	// ReasonMissingData means tls.crt or tls.key is absent or empty.
	ReasonMissingData = "MissingData"
	// ReasonEncryptedPrivateKey means tls.key is password-protected
	// (Proc-Type: 4,ENCRYPTED or ENCRYPTED PRIVATE KEY); servers need it in clear.
	ReasonEncryptedPrivateKey = "EncryptedPrivateKey"
	// ReasonChainMisordered means the leaf is not first in tls.crt, or an
	// issuer comes before its subject.
	ReasonChainMisordered = "ChainMisordered"
	// ReasonExpiringSoon (warning) means the leaf expires within the warning window.
	ReasonExpiringSoon = "ExpiringSoon"
	// ReasonHostnameNotCovered means the leaf's SANs do not cover a required host name.
	ReasonHostnameNotCovered = "HostnameNotCovered"
	// ReasonWeakKey means an RSA key under 2048 bits or an EC key under 256 bits.
	ReasonWeakKey = "WeakKey"
	// ReasonChainTooLarge means tls.crt, sent as one TLS Certificate message,
	// has more certificates or more bytes than common clients accept (Java's
	// defaults: 10 certificates, 32768 bytes), so their handshakes fail.
	ReasonChainTooLarge = "ChainTooLarge"
	// ReasonChainExtraCertificates means tls.crt holds certificates that are
	// not on the leaf's path to its root: copies of another certificate, or
	// certificates that issued nothing on the path (e.g. a pasted CA bundle).
	ReasonChainExtraCertificates = "ChainExtraCertificates"
	// ReasonClientCAInvalid means the client CA bundle
	// (spec.tls.clientAuth.caSecretName, key ca.crt) cannot verify client
	// certificates: it is missing or empty, not PEM, holds a block that is not
	// a certificate, holds a certificate that is not a CA, or holds no CA
	// certificate valid now.
	ReasonClientCAInvalid = "ClientCAInvalid"
)

// Controller reasons (WSSEndpoint conditions and events).
const (
	// ReasonWorkloadNotFound means spec.workloadRef names no existing workload.
	ReasonWorkloadNotFound = "WorkloadNotFound"
	// ReasonSidecarConflict means the workload already has a container, volume
	// or port that our sidecar would need (name or port clash).
	ReasonSidecarConflict = "SidecarConflict"
	// ReasonCertificateNotReady means cert-manager has not (yet) issued the
	// certificate; the message carries cert-manager's own reason.
	ReasonCertificateNotReady = "CertificateNotReady"
	// ReasonRolloutInProgress means the workload is rolling out the sidecar.
	ReasonRolloutInProgress = "RolloutInProgress"
	// ReasonClientHandshakeFailures (event) means real clients failed TLS
	// handshakes with the sidecar; see status.clients.
	ReasonClientHandshakeFailures = "ClientHandshakeFailures"
	// ReasonClientsLockedOut (event) means a change of the TLS policy or
	// certificate locks out a client generation that could connect before;
	// see status.compatibility.
	ReasonClientsLockedOut = "ClientsLockedOut"
	// ReasonDrainExceedsGracePeriod (warning) means spec.sidecar.drainTimeout
	// is longer than the pod's terminationGracePeriodSeconds.
	ReasonDrainExceedsGracePeriod = "DrainExceedsGracePeriod"
)

// ProbeReasons lists every live-probe reason, in the order of the vocabulary.
var ProbeReasons = []string{
	ReasonHealthy, ReasonDNSFailure, ReasonConnectionRefused, ReasonConnectionReset,
	ReasonTimeout, ReasonNotTLS, ReasonProtocolVersionMismatch, ReasonNoSharedCipher,
	ReasonClientCertificateRequired, ReasonCertificateExpired, ReasonCertificateNotYetValid,
	ReasonHostnameMismatch, ReasonChainIncomplete, ReasonUnknownAuthority,
	ReasonInsecureSignatureAlgorithm, ReasonKeyMismatch, ReasonUpgradeRejected,
	ReasonBackendUnavailable, ReasonBadAcceptKey, ReasonSubprotocolMismatch,
	ReasonPingTimeout, ReasonIdleTimeout, ReasonStaleCertificate, ReasonUnknown,
}

// InspectReasons lists every offline-inspection reason.
var InspectReasons = []string{
	ReasonMalformedPEM, ReasonMissingData, ReasonEncryptedPrivateKey, ReasonKeyMismatch,
	ReasonChainIncomplete, ReasonChainMisordered, ReasonCertificateExpired,
	ReasonCertificateNotYetValid, ReasonExpiringSoon, ReasonHostnameNotCovered,
	ReasonWeakKey, ReasonInsecureSignatureAlgorithm,
	ReasonChainTooLarge, ReasonChainExtraCertificates, ReasonClientCAInvalid,
}
