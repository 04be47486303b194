//go:debug cryptocustomrand=1

package main

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/wss-operator/wss-operator/bench/datapath/internal/benchtls"
	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

func main() {
	certFile := flag.String("cert", "", "PEM certificate (ECDSA P-256) (required)")
	keyFile := flag.String("key", "", "PEM private key (required)")
	benchtime := flag.String("benchtime", "2s", "time per measurement, as go test -benchtime")
	testing.Init()
	flag.Parse()
	if err := run(*certFile, *keyFile, *benchtime); err != nil {
		fmt.Fprintf(os.Stderr, "handshakecost: %v\n", err)
		os.Exit(1)
	}
}

func run(certFile, keyFile, benchtime string) error {
	if err := flag.Set("test.benchtime", benchtime); err != nil {
		return fmt.Errorf("-benchtime: %w", err)
	}
	cert, key, err := benchtls.Load(certFile, keyFile)
	if err != nil {
		return err
	}
	fixed := func() time.Time { return time.Unix(1_700_000_000, 0) }
	server := benchtls.Server(cert)
	server.Rand, server.Time = zeroSource{}, fixed
	client := benchtls.Client()
	client.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	client.Time = fixed
	out := benchresult.HandshakeCost{Go: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	full, cs, err := record(server, client)
	if err != nil {
		return fmt.Errorf("recording a full handshake: %w", err)
	}
	if cs.DidResume {
		return errors.New("the first handshake resumed")
	}
	out.CipherSuite, out.Curve = tls.CipherSuiteName(cs.CipherSuite), cs.CurveID.String()
	resumed, cs, err := record(server, client)
	if err != nil {
		return fmt.Errorf("recording a resumed handshake: %w", err)
	}
	if !cs.DidResume {
		return errors.New("the second handshake did not resume")
	}
	if out.Full, err = replayCost(server, full); err != nil {
		return err
	}
	if out.Resumed, err = replayCost(server, resumed); err != nil {
		return err
	}
	out.X25519 = cost(func(b *testing.B) {
		peer, _ := ecdh.X25519().GenerateKey(rand.Reader)
		for b.Loop() {
			k, err := ecdh.X25519().GenerateKey(rand.Reader)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := k.ECDH(peer.PublicKey()); err != nil {
				b.Fatal(err)
			}
		}
	})
	digest := sha256.Sum256([]byte("handshake transcript"))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	out.ECDSAP256Sign = cost(func(b *testing.B) {
		for b.Loop() {
			if _, err := ecdsa.SignASN1(rand.Reader, key, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	out.ECDSAP256Verify = cost(func(b *testing.B) {
		for b.Loop() {
			if !ecdsa.VerifyASN1(&key.PublicKey, digest[:], sig) {
				b.Fatal("signature does not verify")
			}
		}
	})
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func cost(f func(b *testing.B)) benchresult.Cost {
	r := testing.Benchmark(func(b *testing.B) { b.ReportAllocs(); f(b) })
	ns := float64(r.T.Nanoseconds()) / float64(max(r.N, 1))
	return benchresult.Cost{NsPerOp: ns, PerSecond: 1e9 / ns, AllocsPerOp: r.AllocsPerOp(), BytesPerOp: r.AllocedBytesPerOp(), N: r.N}
}

// replayCost times server handshakes against recorded client flows.
func replayCost(server *tls.Config, flows [][]byte) (benchresult.Cost, error) {
	// One check outside the timed loop, so a replay that diverges is an
	// error rather than a fast failure being timed.
	if err := tls.Server(&replayConn{flows: clone(flows)}, server).Handshake(); err != nil {
		return benchresult.Cost{}, fmt.Errorf("replaying: %w", err)
	}
	var failed error
	c := cost(func(b *testing.B) {
		for b.Loop() {
			if err := tls.Server(&replayConn{flows: clone(flows)}, server).Handshake(); err != nil {
				failed = err
				b.Fatal(err)
			}
		}
	})
	if failed != nil {
		return benchresult.Cost{}, fmt.Errorf("replaying: %w", failed)
	}
	return c, nil
}

func clone(flows [][]byte) [][]byte { return append([][]byte(nil), flows...) }

// record runs one handshake over loopback TCP and returns the bytes the
// server read, one slice per client flight (what the server writes in
// between is checked on replay).
func record(server, client *tls.Config) ([][]byte, tls.ConnectionState, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, tls.ConnectionState{}, err
	}
	defer func() { _ = ln.Close() }()
	var (
		wg      sync.WaitGroup
		cs      tls.ConnectionState
		cerr    error
		flights [][]byte
		serr    error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := tls.Dial("tcp", ln.Addr().String(), client)
		if err != nil {
			cerr = err
			return
		}
		defer func() { _ = c.Close() }()
		cs = c.ConnectionState()
		// Read the server's one byte, which also takes in its session ticket.
		var b [1]byte
		_, cerr = io.ReadFull(c, b[:])
	}()
	raw, err := ln.Accept()
	if err != nil {
		return nil, cs, err
	}
	rc := &recordConn{Conn: raw}
	s := tls.Server(rc, server)
	if serr = s.Handshake(); serr == nil {
		_, serr = s.Write([]byte{1})
	}
	wg.Wait()
	_ = s.Close()
	flights = rc.flights
	if serr != nil {
		return nil, cs, serr
	}
	if cerr != nil {
		return nil, cs, cerr
	}
	return flights, cs, nil
}

// recordConn keeps what the server reads, grouped into flights: a flight
// ends when the server writes.
type recordConn struct {
	net.Conn
	flights [][]byte
	reading bool
}

func (r *recordConn) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	if n > 0 {
		if !r.reading || len(r.flights) == 0 {
			r.flights = append(r.flights, nil)
		}
		r.flights[len(r.flights)-1] = append(r.flights[len(r.flights)-1], b[:n]...)
		r.reading = true
	}
	return n, err
}

func (r *recordConn) Write(b []byte) (int, error) {
	r.reading = false
	return r.Conn.Write(b)
}

// replayConn feeds the recorded client flights to a server and discards
// what it writes.
type replayConn struct {
	flows [][]byte
}

func (r *replayConn) Read(b []byte) (int, error) {
	if len(r.flows) == 0 {
		return 0, io.EOF
	}
	n := copy(b, r.flows[0])
	r.flows[0] = r.flows[0][n:]
	if len(r.flows[0]) == 0 {
		r.flows = r.flows[1:]
	}
	return n, nil
}

func (r *replayConn) Write(b []byte) (int, error)      { return len(b), nil }
func (r *replayConn) Close() error                     { return nil }
func (r *replayConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (r *replayConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (r *replayConn) SetDeadline(time.Time) error      { return nil }
func (r *replayConn) SetReadDeadline(time.Time) error  { return nil }
func (r *replayConn) SetWriteDeadline(time.Time) error { return nil }
func (r *replayConn) String() string                   { return "replay" }

// zeroSource is an all-zero random source, so that the server's side of a
// replayed handshake repeats exactly (as crypto/tls's tests do).
type zeroSource struct{}

func (zeroSource) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}
