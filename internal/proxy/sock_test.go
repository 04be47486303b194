//go:build linux || darwin || freebsd || netbsd || openbsd

package proxy

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"
)

// sockPair returns a loopback TCP connection's two ends: the accepted one
// wrapped in a sock, and the dialled one to write into it.
func sockPair(t *testing.T) (*sock, net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := newSock(c)
	if s == nil {
		t.Fatal("newSock: not a socket")
	}
	return s, c, peer
}

// settle gives the netpoller time to take the readiness event of data just
// written to loopback (it polls at least every 10 ms), which is when a wait
// that reset readiness before reading would miss it.
func settle() { time.Sleep(50 * time.Millisecond) }

// Data that arrives after a read found the socket empty, and before the
// wait starts, ends the wait at once.
func TestSockWaitSeesDataThatCameAfterEmptyRead(t *testing.T) {
	s, c, peer := sockPair(t)
	buf := make([]byte, 64)
	if _, err := s.readNonBlocking(buf); !errors.Is(err, errWouldBlock) {
		t.Fatalf("read of an empty socket: %v, want errWouldBlock", err)
	}
	if _, err := peer.Write([]byte("late")); err != nil {
		t.Fatal(err)
	}
	settle()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if err := s.waitReadable(); err != nil {
		t.Fatalf("waitReadable: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("waitReadable took %v for data already there", d)
	}
	n, err := s.readNonBlocking(buf)
	if err != nil || string(buf[:n]) != "late" {
		t.Fatalf("read after the wait: %q, %v", buf[:n], err)
	}
	// That read was short: the next one reports empty without a system
	// call, and the wait after it still reads first.
	if _, err := s.readNonBlocking(buf); !errors.Is(err, errWouldBlock) {
		t.Fatalf("read after a short read: %v, want errWouldBlock", err)
	}
	if _, err := peer.Write([]byte("later")); err != nil {
		t.Fatal(err)
	}
	settle()
	if err := s.waitReadable(); err != nil {
		t.Fatalf("waitReadable: %v", err)
	}
	if n, err := s.readNonBlocking(buf); err != nil || string(buf[:n]) != "later" {
		t.Fatalf("read after the second wait: %q, %v", buf[:n], err)
	}
	// An end of stream found by the wait is the next read's result.
	peer.Close()
	if err := s.waitReadable(); err != nil {
		t.Fatalf("waitReadable at EOF: %v", err)
	}
	if _, err := s.readNonBlocking(buf); err == nil {
		t.Fatal("read at EOF: no error")
	}
}

// Data that arrives while feed's callback handles the previous chunk (after
// the read that found the socket empty) ends feed's wait at once.
func TestSockFeedSeesDataThatCameWhileForwarding(t *testing.T) {
	s, c, peer := sockPair(t)
	var got [][]byte
	var gotAt []time.Time
	errEnough := errors.New("enough")
	s.setFeed(funcFeeder{data: func(p []byte) error {
		got = append(got, bytes.Clone(p))
		gotAt = append(gotAt, time.Now())
		if len(got) == 1 {
			if _, err := peer.Write([]byte("second")); err != nil {
				t.Error(err)
			}
			settle()
			return nil
		}
		return errEnough
	}})
	if _, err := peer.Write([]byte("first")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if byFeeder, err := s.feed(); !byFeeder || !errors.Is(err, errEnough) {
		t.Fatalf("feed: %v, %v; want its feeder's error", byFeeder, err)
	}
	if len(got) != 2 || string(got[0]) != "first" || string(got[1]) != "second" {
		t.Fatalf("feed got %q, want first, second", got)
	}
	if d := gotAt[1].Sub(gotAt[0]); d > time.Second {
		t.Fatalf("second chunk came %v after the first", d)
	}
	// The end of stream stops the feed with io.EOF; a deadline with a
	// timeout.
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	s.setFeed(funcFeeder{})
	if byFeeder, err := s.feed(); byFeeder || !isTimeout(err) {
		t.Fatalf("feed past its deadline: %v, %v; want a timeout", byFeeder, err)
	}
	_ = c.SetReadDeadline(time.Time{})
	peer.Close()
	if byFeeder, err := s.feed(); byFeeder || err == nil || err.Error() != "EOF" {
		t.Fatalf("feed at EOF: %v, %v; want EOF", byFeeder, err)
	}
}

// A feeder whose empty callback says stop ends the feed without an error,
// and the feed's buffer is back in the pool: the sock holds none.
func TestSockFeedStoppedWhenEmpty(t *testing.T) {
	s, c, peer := sockPair(t)
	var got []byte
	s.setFeed(funcFeeder{
		data:  func(p []byte) error { got = append(got, p...); return nil },
		empty: func() (bool, error) { return false, nil },
	})
	if _, err := peer.Write([]byte("one")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if byFeeder, err := s.feed(); !byFeeder || err != nil {
		t.Fatalf("feed: %v, %v; want stopped by its feeder without an error", byFeeder, err)
	}
	if string(got) != "one" || s.buf != nil {
		t.Fatalf("feed got %q, holds a buffer: %v", got, s.buf != nil)
	}
	// A wait's data not read yet is not lost to a feed: the feed fails.
	if _, err := peer.Write([]byte("two")); err != nil {
		t.Fatal(err)
	}
	if err := s.waitReadable(); err != nil {
		t.Fatalf("waitReadable: %v", err)
	}
	if _, err := s.feed(); !errors.Is(err, errFeedPending) {
		t.Fatalf("feed with a wait's data pending: %v, want errFeedPending", err)
	}
	buf := make([]byte, 8)
	if n, err := s.readNonBlocking(buf); err != nil || string(buf[:n]) != "two" {
		t.Fatalf("read after the wait: %q, %v", buf[:n], err)
	}
}

// funcFeeder is a feeder made of functions; nil ones forward nothing and
// wait.
type funcFeeder struct {
	data  func([]byte) error
	empty func() (bool, error)
}

func (f funcFeeder) feedData(p []byte) error {
	if f.data == nil {
		return nil
	}
	return f.data(p)
}

func (f funcFeeder) feedEmpty() (bool, error) {
	if f.empty == nil {
		return true, nil
	}
	return f.empty()
}
