package benchresult

import "time"

// Run is the JSON object the load generator writes for one run.
type Run struct {
	Mode            string    `json:"mode"`
	Target          string    `json:"target"`
	URL             string    `json:"url"`
	Size            int       `json:"size,omitempty"`
	Concurrency     int       `json:"concurrency"`
	WarmupSec       float64   `json:"warmupSec"`
	DurationSec     float64   `json:"durationSec"`
	Count           int64     `json:"count"`
	Rate            float64   `json:"rate"`
	Bytes           int64     `json:"bytes,omitempty"`
	MBPerSec        float64   `json:"mbPerSec,omitempty"`
	ResumedFraction *float64  `json:"resumedFraction,omitempty"`
	Errors          int64     `json:"errors"`
	FirstError      string    `json:"firstError,omitempty"`
	Latency         *Latency  `json:"latency,omitempty"`
	TLS             *TLSFacts `json:"tls,omitempty"`
	Server          *ProcUse  `json:"server,omitempty"`
	Aux             *ProcUse  `json:"aux,omitempty"`
	Client          *ProcUse  `json:"client,omitempty"`
	CPUBusy         []float64 `json:"cpuBusy,omitempty"`
	Idle            *Idle     `json:"idle,omitempty"`
	Fanout          *Fanout   `json:"fanout,omitempty"`
	Started         time.Time `json:"started"`
}

// Latency is a distribution summary in milliseconds.
type Latency struct {
	Samples int     `json:"samples"`
	MeanMs  float64 `json:"meanMs"`
	P50Ms   float64 `json:"p50Ms"`
	P90Ms   float64 `json:"p90Ms"`
	P99Ms   float64 `json:"p99Ms"`
	P999Ms  float64 `json:"p999Ms"`
	MaxMs   float64 `json:"maxMs"`
}

// ProcUse is what a group of processes used during the window.
type ProcUse struct {
	CPUSec float64 `json:"cpuSec"`
	Cores  float64 `json:"cores"` // CPU seconds per second of window
	RSSKiB int64   `json:"rssKiB"`
	Procs  int     `json:"procs"`
}

// TLSFacts describes the negotiated TLS parameters.
type TLSFacts struct {
	Version     string `json:"version"`
	CipherSuite string `json:"cipherSuite"`
	Curve       string `json:"curve"`
	ALPN        string `json:"alpn"`
	HRR         bool   `json:"helloRetryRequest"`
}

// Idle is the idle-connection memory figure.
type Idle struct {
	Conns            int     `json:"conns"`
	Opened           int     `json:"opened"`
	OpenSec          float64 `json:"openSec"`
	SettleSec        float64 `json:"settleSec"`
	ServerBeforeKiB  int64   `json:"serverBeforeKiB"`
	ServerAfterKiB   int64   `json:"serverAfterKiB"`
	ServerPerConnKiB float64 `json:"serverPerConnKiB"`
	AuxBeforeKiB     int64   `json:"auxBeforeKiB,omitempty"`
	AuxAfterKiB      int64   `json:"auxAfterKiB,omitempty"`
	AuxPerConnKiB    float64 `json:"auxPerConnKiB,omitempty"`
	ServerProcs      int     `json:"serverProcs"`
}

// Fanout is the fan-out figure: what the clients received in the window
// and what it cost the server.
type Fanout struct {
	Conns               int     `json:"conns"`
	Opened              int     `json:"opened"`
	OpenSec             float64 `json:"openSec"`
	Senders             int     `json:"senders"`
	SendIntervalMs      float64 `json:"sendIntervalMs"`
	BroadcastIntervalMs float64 `json:"broadcastIntervalMs"`
	// Broadcasts and Echoes are the messages the clients received in the
	// window: pushed by the backend, and the echoes of their own.
	Broadcasts int64 `json:"broadcasts"`
	Echoes     int64 `json:"echoes"`
	Sent       int64 `json:"sent"`
	// Promised is what the backend's interval promises the Opened
	// connections in the whole intervals of the window (DeliveryWindowSec
	// of it): one push each per interval. Delivered is how many of those
	// reached them, by DeliveryGraceSec after the window, each counted by
	// the round the backend stamped on it, at most once per connection and
	// interval, so it never exceeds Promised; DeliveredFraction is the one
	// over the other (below 1: someone on the path could not keep up).
	// Runs from before these counts (Promised 0) divided Broadcasts,
	// counted by arrival, by the window's length in intervals.
	Delivered         int64   `json:"delivered,omitempty"`
	Promised          int64   `json:"promised,omitempty"`
	DeliveryWindowSec float64 `json:"deliveryWindowSec,omitempty"`
	DeliveryGraceSec  float64 `json:"deliveryGraceSec,omitempty"`
	DeliveredFraction float64 `json:"deliveredFraction"`
	// ServerCPUMsPer1000 is the server's CPU time per 1,000 messages
	// received by the clients (broadcasts and echoes), in milliseconds;
	// AuxCPUMsPer1000 the same for the backend.
	ServerCPUMsPer1000 float64  `json:"serverCpuMsPer1000"`
	AuxCPUMsPer1000    float64  `json:"auxCpuMsPer1000,omitempty"`
	EchoLatency        *Latency `json:"echoLatency,omitempty"`
}

// Params are a data-path run's knobs, as run.sh writes them.
type Params struct {
	Reps                int      `json:"reps"`
	Duration            string   `json:"duration"`
	Warmup              string   `json:"warmup"`
	ClientCPU           int      `json:"clientCPU"`
	ServerCPU           int      `json:"serverCPU"`
	NoFileHard          int      `json:"nofileHard"`
	IdleCounts          []int    `json:"idleCounts"`
	RequestedIdleCounts []int    `json:"requestedIdleCounts"`
	FanoutCounts        []int    `json:"fanoutCounts"`
	RequestedFanout     []int    `json:"requestedFanoutCounts"`
	FanoutSize          int      `json:"fanoutSize"`
	FanoutIntervalMs    float64  `json:"fanoutIntervalMs"`
	FanoutSenders       float64  `json:"fanoutSenders"`
	Targets             []string `json:"targets"`
	Figures             []string `json:"figures"`
	HandshakeConc       int      `json:"handshakeConcurrency"`
	LatencyConns        int      `json:"latencyConnections"`
	ThroughputMessage   int      `json:"throughputMessage"`
	Command             string   `json:"command"`
	Started             string   `json:"started"`
}

// Machine is what a data-path run ran on.
type Machine struct {
	CPUModel    string  `json:"cpuModel"`
	NCPU        int     `json:"ncpu"`
	Hypervisor  bool    `json:"hypervisor"`
	MemTotalGiB float64 `json:"memTotalGiB"`
	Kernel      string  `json:"kernel"`
	OS          string  `json:"os"`
	Go          string  `json:"go"`
	Nginx       string  `json:"nginx"`
	HAProxy     string  `json:"haproxy"`
	Caddy       string  `json:"caddy,omitempty"`
	Hitch       string  `json:"hitch,omitempty"`
	Stunnel     string  `json:"stunnel,omitempty"`
	OpenSSL     string  `json:"openssl"`
	Proxy       string  `json:"proxy"`
	TCPTwReuse  string  `json:"tcpTwReuse"`
}

// Cost is one timed operation of handshakecost.
type Cost struct {
	NsPerOp     float64 `json:"nsPerOp"`
	PerSecond   float64 `json:"perSecond"` // per core with GOMAXPROCS=1
	AllocsPerOp int64   `json:"allocsPerOp"`
	BytesPerOp  int64   `json:"bytesPerOp"`
	N           int     `json:"n"`
}

// HandshakeCost is what handshakecost measures: the Go limit of the
// handshake figures and the primitives a handshake is made of.
type HandshakeCost struct {
	Go              string `json:"go"`
	GOMAXPROCS      int    `json:"gomaxprocs"`
	CipherSuite     string `json:"cipherSuite"`
	Curve           string `json:"curve"`
	Full            Cost   `json:"full"`
	Resumed         Cost   `json:"resumed"`
	X25519          Cost   `json:"x25519KeygenAndECDH"`
	ECDSAP256Sign   Cost   `json:"ecdsaP256Sign"`
	ECDSAP256Verify Cost   `json:"ecdsaP256Verify"`
}
