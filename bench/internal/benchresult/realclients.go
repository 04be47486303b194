package benchresult

// RealClients is what the real-client benchmark (bench/realclients)
// measured: Node's ws and headless Chromium through two builds of the
// sidecar, base and head, taking turns.
type RealClients struct {
	// Machine: cpu, cpus, memory, kernel, go, node, ws, chromium.
	Machine map[string]string `json:"machine"`
	// Builds are the sidecars compared, "base" first, then "head".
	Builds []Build `json:"builds"`
	Reps   int     `json:"reps"`
	// Workloads are what every client ran against every build, in order.
	Workloads []Workload `json:"workloads"`
	// Pinning says which CPUs the clients and the servers ran on ("" when
	// unpinned).
	Pinning string `json:"pinning,omitempty"`
	// Compression is what was negotiated: the backend declines
	// permessage-deflate, so every message is sent uncompressed.
	Compression string `json:"compression"`
	// Runs holds one entry per repetition, client, build and workload, in
	// the order they ran.
	Runs []ClientRun `json:"runs"`
}

// Build is one sidecar binary: the revision asked for, the commit it
// resolved to, and whether the working tree had changes (head only).
type Build struct {
	Name   string `json:"name"` // base or head
	Rev    string `json:"rev"`
	Commit string `json:"commit"`
	Dirty  bool   `json:"dirty,omitempty"`
	Binary string `json:"binary"`
}

// Workload is one timed loop a client runs: "handshake" opens and closes
// Count WebSockets one after another (connect, TLS, upgrade, close);
// "echo" sends Count messages of Size bytes over one WebSocket, each
// after the previous one's echo. Warmup iterations run first, untimed.
type Workload struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"` // handshake or echo
	Size   int    `json:"size,omitempty"`
	Count  int    `json:"count"`
	Warmup int    `json:"warmup"`
}

// ClientTiming is what a client measured of one workload, as the Node
// script and the Chromium page print it after "RESULT ".
type ClientTiming struct {
	Count int `json:"count"`
	// TotalMs is the wall time of the Count timed iterations, as the
	// client measured it (process.hrtime, performance.now).
	TotalMs float64 `json:"totalMs"`
	// P50Ms and P99Ms are per-iteration times (Chromium coarsens
	// performance.now to 5 µs when the page is cross-origin isolated, as
	// it is here).
	P50Ms float64 `json:"p50Ms"`
	P99Ms float64 `json:"p99Ms"`
	// Resumed counts the handshakes whose TLS session was resumed (Node
	// only; -1 when the client cannot tell).
	Resumed int `json:"resumed"`
	// Extensions is what the client's WebSocket negotiated.
	Extensions string `json:"extensions"`
}

// ClientRun is one workload run by one client against one build, with a
// fresh sidecar process for every client and build in a repetition.
type ClientRun struct {
	Rep      int    `json:"rep"`
	Client   string `json:"client"` // node or chromium
	Build    string `json:"build"`  // base or head
	Workload string `json:"workload"`
	ClientTiming
	// SidecarCPUSec is the sidecar's CPU time (user+system, 10 ms ticks)
	// over the client process, warm-up and page load included.
	SidecarCPUSec float64 `json:"sidecarCpuSeconds"`
	Error         string  `json:"error,omitempty"`
}

// PerOpMs is the mean wall time of one iteration (0 for a failed run).
func (r ClientRun) PerOpMs() float64 {
	if r.Error != "" || r.Count <= 0 {
		return 0
	}
	return r.TotalMs / float64(r.Count)
}
