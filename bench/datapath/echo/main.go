package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wss-operator/wss-operator/bench/datapath/internal/echo"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:18400", "loopback address to listen on (host:port)")
	size := flag.Int("broadcast-size", 64, "/broadcast: bytes per pushed message (at least 17: timestamp, kind and round)")
	interval := flag.Duration("broadcast-interval", 100*time.Millisecond, "/broadcast: push a message to every member this often")
	flag.Parse()
	hub := &echo.Hub{Size: *size, Interval: *interval}
	if err := run(*listen, hub); err != nil {
		log.Fatalf("echo: %v", err)
	}
}

func run(listen string, hub *echo.Hub) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--listen %q: only a loopback IP address is allowed", listen)
	}
	raiseNoFile()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		_ = ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			log.Printf("accept: %v", err)
			continue
		}
		go echo.ServeHub(c, hub)
	}
}

// raiseNoFile lifts the soft descriptor limit to the hard one: the idle
// figure holds 10,000 connections.
func raiseNoFile() {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}
