package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wss-operator/wss-operator/bench/datapath/internal/benchtls"
	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
	"github.com/wss-operator/wss-operator/bench/internal/procstat"
)

// msgSize is what each connection carries once before it goes quiet, as
// the load generator's idle mode sends one 64-byte message.
const msgSize = 64

func main() {
	certFile := flag.String("cert", "", "PEM certificate (ECDSA P-256) (required)")
	keyFile := flag.String("key", "", "PEM private key (required)")
	count := flag.Int("count", 2000, "idle connections to open")
	concurrency := flag.Int("concurrency", 32, "connections opened at once")
	settle := flag.Duration("settle", 5*time.Second, "wait after the last connection before reading the server's RSS")
	timeout := flag.Duration("duration", 90*time.Second, "time allowed to open the connections")
	out := flag.String("out", "", "write the JSON result here (default stdout)")
	serverCPU := flag.Int("server-cpu", -1, "pin the server to this CPU with taskset (-1: not pinned)")
	serve := flag.String("serve", "", "internal: run as the measured server, relaying to this backend address")
	echo := flag.Bool("echo", false, "internal: run as the echo backend")
	flag.Parse()
	var err error
	switch {
	case *echo:
		err = runBackend()
	case *serve != "":
		err = runServer(*certFile, *keyFile, *serve)
	default:
		err = run(*certFile, *keyFile, *count, *concurrency, *serverCPU, *settle, *timeout, *out)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "idlefloor: %v\n", err)
		os.Exit(1)
	}
}

// run is the measuring side: it starts the backend (here) and the server
// (a child process, so that its RSS is only the server's), opens the
// connections and reports the server's RSS growth per connection, taken as
// the load generator's idle mode takes it.
func run(certFile, keyFile string, count, concurrency, serverCPU int, settle, timeout time.Duration, outFile string) error {
	if count <= 0 || concurrency <= 0 || settle < 0 || timeout <= 0 {
		return errors.New("-count, -concurrency and -duration must be positive, -settle not negative")
	}
	if _, _, err := benchtls.Load(certFile, keyFile); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// The backend and the server are processes of their own: the server's
	// RSS is then only the server's, and each process's descriptors hold
	// one side of the connections.
	backendCmd, backendAddr, err := start(exec.Command(self, "-echo"))
	if err != nil {
		return fmt.Errorf("starting the backend: %w", err)
	}
	defer stop(backendCmd)
	args := []string{self, "-cert", certFile, "-key", keyFile, "-serve", backendAddr}
	if serverCPU >= 0 {
		args = append([]string{"taskset", "-c", strconv.Itoa(serverCPU)}, args...)
	}
	cmd, addr, err := start(exec.Command(args[0], args[1:]...)) //nolint:gosec // this program itself, under taskset
	if err != nil {
		return fmt.Errorf("starting the server: %w", err)
	}
	defer stop(cmd)
	pid := cmd.Process.Pid
	time.Sleep(time.Second) // as run.sh waits after starting a target

	before, err := procstat.RSSKiB(pid)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	t0 := time.Now()
	conns, cs, firstErr, errs := dialAll(ctx, addr, count, concurrency)
	openSec := time.Since(t0).Seconds()
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	time.Sleep(settle)
	after, err := procstat.RSSKiB(pid)
	if err != nil {
		return err
	}
	res := benchresult.Run{Mode: "idle", Target: "gofloor", URL: "tls://" + addr, Concurrency: concurrency,
		DurationSec: timeout.Seconds(), Count: int64(len(conns)), Errors: errs, FirstError: firstErr, Started: t0.UTC(),
		Idle: &benchresult.Idle{Conns: count, Opened: len(conns), OpenSec: openSec, SettleSec: settle.Seconds(),
			ServerBeforeKiB: before, ServerAfterKiB: after, ServerProcs: 1}}
	if len(conns) > 0 {
		res.Idle.ServerPerConnKiB = float64(after-before) / float64(len(conns))
		res.TLS = &benchresult.TLSFacts{Version: tls.VersionName(cs.Version), CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
			Curve: cs.CurveID.String(), ALPN: cs.NegotiatedProtocol, HRR: cs.HelloRetryRequest}
	}
	w := io.Writer(os.Stdout)
	if outFile != "" {
		f, err := os.Create(outFile)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }()
		w = f
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return err
	}
	if len(conns) == 0 {
		return fmt.Errorf("no connection opened: %s", firstErr)
	}
	return nil
}

// dialAll opens count TLS connections, concurrency at a time, each
// carrying one msgSize message and its echo, and returns those that did.
func dialAll(ctx context.Context, addr string, count, concurrency int) (conns []*tls.Conn, cs tls.ConnectionState, firstErr string, errs int64) {
	conf := benchtls.Client()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		next atomic.Int64
		nerr atomic.Int64
	)
	d := tls.Dialer{Config: conf}
	for range concurrency {
		wg.Go(func() {
			msg, buf := make([]byte, msgSize), make([]byte, msgSize)
			for next.Add(1) <= int64(count) && ctx.Err() == nil {
				c, err := d.DialContext(ctx, "tcp", addr)
				if err == nil {
					tc := c.(*tls.Conn)
					_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
					if _, err = tc.Write(msg); err == nil {
						_, err = io.ReadFull(tc, buf)
					}
					_ = tc.SetDeadline(time.Time{})
					if err != nil {
						_ = tc.Close()
					}
				}
				mu.Lock()
				if err != nil {
					nerr.Add(1)
					if firstErr == "" {
						firstErr = err.Error()
					}
				} else {
					if len(conns) == 0 {
						cs = c.(*tls.Conn).ConnectionState()
					}
					conns = append(conns, c.(*tls.Conn))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return conns, cs, firstErr, nerr.Load()
}

// start starts one of this program's own processes and reads the address
// it listens on, the first line of its output.
func start(cmd *exec.Cmd) (*exec.Cmd, string, error) {
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop(cmd)
		return nil, "", fmt.Errorf("reading its address: %w", err)
	}
	return cmd, strings.TrimSpace(addr), nil
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// runBackend is the echo backend: it echoes what each connection sends.
func runBackend() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer func() { _ = c.Close() }()
			// A plain loop, not io.Copy: that would splice through a
			// pipe, two more descriptors per connection.
			buf := make([]byte, msgSize)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}()
	}
}

// conn is all the server keeps of a connection once it is idle.
type conn struct {
	client  *tls.Conn
	backend net.Conn
}

// runServer is the measured server: it terminates TLS, dials the backend,
// relays the one message each way, and then only keeps the two
// connections referenced: no goroutine, no buffer per connection.
func runServer(certFile, keyFile, backendAddr string) error {
	cert, _, err := benchtls.Load(certFile, keyFile)
	if err != nil {
		return err
	}
	conf := benchtls.Server(cert)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	var (
		mu     sync.Mutex
		held   []conn
		failed atomic.Int64
	)
	// bufs are the relaying workers' buffers, one per connection being
	// opened, reused: like the proxy's pooled copy buffers.
	bufs := sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}
	for {
		raw, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			buf := bufs.Get().(*[]byte)
			defer bufs.Put(buf)
			c, err := relayOnce(tls.Server(raw, conf), backendAddr, *buf)
			if err != nil {
				// The client counts the failures; the first says why.
				if failed.Add(1) == 1 {
					fmt.Fprintf(os.Stderr, "idlefloor server: %v\n", err)
				}
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}()
	}
}

// relayOnce completes the handshake, dials the backend and carries one
// message from the client to the backend and its echo back.
func relayOnce(tc *tls.Conn, backendAddr string, buf []byte) (conn, error) {
	fail := func(err error, cs ...io.Closer) (conn, error) {
		for _, c := range cs {
			_ = c.Close()
		}
		return conn{}, err
	}
	if err := tc.Handshake(); err != nil {
		return fail(fmt.Errorf("handshake: %w", err), tc)
	}
	be, err := net.Dial("tcp", backendAddr)
	if err != nil {
		return fail(fmt.Errorf("dialing the backend: %w", err), tc)
	}
	for got := 0; got < msgSize; {
		n, err := tc.Read(buf)
		if err != nil {
			return fail(fmt.Errorf("reading the client: %w", err), tc, be)
		}
		got += n
		if _, err := be.Write(buf[:n]); err != nil {
			return fail(fmt.Errorf("writing the backend: %w", err), tc, be)
		}
	}
	for got := 0; got < msgSize; {
		n, err := be.Read(buf)
		if err != nil {
			return fail(fmt.Errorf("reading the backend: %w", err), tc, be)
		}
		got += n
		if _, err := tc.Write(buf[:n]); err != nil {
			return fail(fmt.Errorf("writing the client: %w", err), tc, be)
		}
	}
	return conn{client: tc, backend: be}, nil
}
