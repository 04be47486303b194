package proxy

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// Directions, as indexes into wsConn's per-direction state.
const (
	c2b = 0 // client to backend
	b2c = 1 // backend to client
)

// side is one end of an upgraded connection as the splice loops see it
// (made from wsConn's fields when needed, not kept).
type side struct {
	conn net.Conn // what is read, written and given deadlines (the *tls.Conn for the client)
	raw  *rawConn // client only: switched to non-blocking for crypto/tls reads
	sock *sock    // the socket; nil means plain blocking reads
}

// tryRead reads what is available without waiting for the network, or
// returns errWouldBlock. Without a socket it is a plain blocking Read.
func (s side) tryRead(p []byte) (int, error) {
	switch {
	case s.sock == nil:
		return s.conn.Read(p)
	case s.raw != nil:
		s.raw.nonBlock.Store(true)
		n, err := s.conn.Read(p)
		s.raw.nonBlock.Store(false)
		return n, err
	default:
		return s.sock.readNonBlocking(p)
	}
}

// tryReadRecords is tryRead that, on a TLS source (which returns one
// record per read), goes on while records are buffered and p has room: a
// message its sender split over records (16 KiB of payload and its frame
// header, say) is then forwarded in one write, not two.
func (s *side) tryReadRecords(p []byte) (int, error) {
	n, err := s.tryRead(p)
	for err == nil && n > 0 && n < len(p) && s.raw != nil {
		var m int
		m, err = s.tryRead(p[n:])
		n += m
	}
	return n, err
}

// wsConn is one upgraded WebSocket connection: a client (TLS) and a backend
// (plain TCP) spliced by two pumps, one per direction. Each pump is the only
// writer of its destination, so close frames injected on drain never
// interleave with forwarded bytes.
//
// A pump reads until its source has nothing more, then waits without a
// buffer. On Linux, once its source has been quiet for parkAfter, it waits
// without a goroutine too: it parks its socket in the proxy's epoll set and
// returns; the poller starts it again. Elsewhere (or when a side is not a
// socket) each pump keeps its goroutine.
//
// It is small (288 bytes with its pumps, a Go size class): an idle
// connection keeps it.
type wsConn struct {
	p       *Proxy
	client  *tls.Conn
	raw     *rawConn // under client: switched to non-blocking for crypto/tls reads
	backend net.Conn
	// bsock is the backend's socket, nil when either side is not a socket
	// (then both sides use plain blocking reads: one strategy for both
	// directions keeps the loops simple); the client's is raw.sock.
	bsock *sock
	pumps [2]pump
	flags atomic.Uint32 // wsDraining, wsClientClosedByUs
	ended uint8         // pumps that ended; guarded by mu

	mu    sync.Mutex // guards read deadlines, grace, ended
	grace [2]int64   // per pump source: give up reading at this mono time (0: never)
	// lingerUntil is when (mono) a lingering pump stops waiting in its
	// goroutine.
	lingerUntil [2]int64
}

// Bits of wsConn.flags.
const (
	wsDraining = 1 << iota // drain ran
	// wsClientClosedByUs: the proxy closed the client connection after a
	// completed close handshake.
	wsClientClosedByUs
)

func (ws *wsConn) draining() bool { return ws.flags.Load()&wsDraining != 0 }

// The pumps keep times as int64 nanoseconds since epoch on the monotonic
// clock (mono), not as time.Time (24 bytes): with four of them a pump is
// half the size, and an idle connection is the sum of such fields. Zero
// means unset: mono is never below a second.
var epoch = time.Now().Add(-time.Second)

// mono is the monotonic time since epoch, in nanoseconds.
func mono() int64 { return int64(time.Since(epoch)) }

// monoTime is the deadline for mono time t (none for 0).
func monoTime(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return epoch.Add(time.Duration(t))
}

// Pump states, for parking.
const (
	pumpRunning int32 = iota // a goroutine runs the pump
	pumpKicked               // running, and asked to look again before parking
	pumpParked               // no goroutine: waiting for the poller or a kick
	pumpDone
)

// Bits of pump.closes.
const (
	closeWentToDst   = 1 << iota // a complete close frame went to dst
	closeCameFromSrc             // a complete close frame came from src
)

func (pu *pump) sentDone() bool  { return pu.closes.Load()&closeWentToDst != 0 }
func (pu *pump) srcClosed() bool { return pu.closes.Load()&closeCameFromSrc != 0 }

// pump forwards one direction and tracks its frames. Its source, its
// destination and its byte counter follow from dir. It is small (96 bytes;
// two per WebSocket, held while the connection is idle).
type pump struct {
	ws    *wsConn
	tr    frameTracker
	park  parking // not registered: wait in a goroutine
	state atomic.Int32
	dir   uint8 // c2b or b2c
	// suppress: a complete close frame went to dst: nothing more is
	// forwarded.
	suppress bool
	fed      bool // something was forwarded since the source was last empty
	// closes holds closeWentToDst and closeCameFromSrc (one word: two
	// atomic.Bools would make the pump 8 bytes bigger).
	closes atomic.Uint32

	// writeRefresh (mono): after this, the write deadline is less than
	// IdleTimeout away and is moved before the next write.
	writeRefresh int64
	lastData     int64 // when (mono) the source was last found empty after data
	// lingerRefresh (mono): after this, the linger deadline is less than
	// parkAfter/2 away and is moved when data comes (0: not armed).
	lingerRefresh int64
}

func newWSConn(p *Proxy, client *tls.Conn, raw *rawConn, backend net.Conn) *wsConn {
	ws := &wsConn{p: p, client: client, raw: raw, backend: backend}
	if raw.sock != nil {
		ws.bsock = newSock(backend)
	}
	ws.pumps[c2b] = pump{ws: ws, dir: c2b}
	ws.pumps[b2c] = pump{ws: ws, dir: b2c}
	pl := getPoller()
	for i := range ws.pumps {
		pu := &ws.pumps[i]
		src := pu.src()
		if pl != nil && src.sock != nil {
			pl.register(&pu.park, pu)
		}
		if src.sock != nil && src.raw == nil {
			src.sock.setFeed(pu)
		}
	}
	return ws
}

// src is what the pump reads: the client for c2b, the backend for b2c.
func (pu *pump) src() side {
	ws := pu.ws
	if pu.dir != c2b {
		return side{conn: ws.backend, sock: ws.bsock}
	}
	s := side{conn: ws.client, raw: ws.raw}
	if ws.bsock != nil {
		s.sock = ws.raw.sock
	}
	return s
}

// srcConn is src().conn.
func (pu *pump) srcConn() net.Conn {
	if pu.dir == c2b {
		return pu.ws.client
	}
	return pu.ws.backend
}

// dstConn is what the pump writes.
func (pu *pump) dstConn() net.Conn {
	if pu.dir == c2b {
		return pu.ws.backend
	}
	return pu.ws.client
}

// start runs both pumps. early holds bytes already read past the upgrade
// heads (client frames sent right after the request, backend frames sent
// right after its 101).
func (ws *wsConn) start(clientEarly, backendEarly []byte) {
	go ws.pumps[c2b].run(clientEarly)
	go ws.pumps[b2c].run(backendEarly)
}

// drain asks both pumps to send a close frame (1001 Going Away) at the next
// frame boundary of their stream. It wakes pumps waiting in a goroutine by
// moving their read deadlines to now, and parked pumps by a kick.
func (ws *wsConn) drain() {
	ws.mu.Lock()
	if ws.draining() || ws.ended == 2 {
		ws.mu.Unlock()
		return
	}
	ws.flags.Or(wsDraining)
	now := time.Now()
	_ = ws.client.SetReadDeadline(now)
	_ = ws.backend.SetReadDeadline(now)
	ws.mu.Unlock()
	ws.kickAll()
}

// forceClose closes both connections; the pumps end on their next read or
// write (parked ones are kicked: closing drops their epoll registration).
func (ws *wsConn) forceClose() {
	_ = ws.client.Close()
	_ = ws.backend.Close()
	ws.kickAll()
}

func (ws *wsConn) kickAll() {
	ws.pumps[c2b].kick()
	ws.pumps[b2c].kick()
}

// closeClient closes the client connection after its close handshake.
func (ws *wsConn) closeClient() {
	if ws.flags.Or(wsClientClosedByUs)&wsClientClosedByUs == 0 {
		_ = ws.client.Close()
		ws.pumps[c2b].kick()
	}
}

// armGraceLocked gives pump dir closeGrace more time to read before it ends.
func (ws *wsConn) armGraceLocked(dir uint8) {
	if ws.grace[dir] != 0 {
		return
	}
	ws.grace[dir] = mono() + int64(closeGrace)
	d := ws.grace[dir]
	if l := ws.lingerUntil[dir]; l != 0 && l < d {
		d = l // the pump is lingering: let it park on time
	}
	pu := &ws.pumps[dir]
	_ = pu.srcConn().SetReadDeadline(monoTime(d))
	if pu.park.registered() {
		time.AfterFunc(closeGrace+10*time.Millisecond, pu.kick)
	}
}

func (ws *wsConn) graceExpired(dir uint8) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.grace[dir] != 0 && mono() >= ws.grace[dir]
}

// kick makes a parked pump run, or a running one look again before it parks.
func (pu *pump) kick() {
	for {
		switch pu.state.Load() {
		case pumpParked:
			if pu.state.CompareAndSwap(pumpParked, pumpRunning) {
				go pu.run(nil)
				return
			}
		case pumpRunning:
			if pu.state.CompareAndSwap(pumpRunning, pumpKicked) {
				return
			}
		default:
			return
		}
	}
}

func (pu *pump) run(early []byte) {
	err, parked := pu.loop(early)
	if parked {
		return
	}
	pu.state.Store(pumpDone)
	if pu.park.registered() {
		pu.park.release(pu.src().sock.raw)
	}
	pu.ws.pumpDone(pu, err)
}

// errGraceExpired ends a pump whose peer did not finish in time.
var errGraceExpired = errors.New("peer did not close in time")

// loop forwards until the source ends (it returns the reason) or, with a
// poller, until it has nothing to read (it returns parked).
func (pu *pump) loop(early []byte) (err error, parked bool) {
	// Also handles a drain that started while the pump was parked.
	if err := pu.forward(early); err != nil {
		return err, false
	}
	src := pu.src()
	if src.sock != nil && src.raw == nil {
		return pu.feedLoop(src.sock)
	}
	var buf *[]byte
	defer func() {
		if buf != nil {
			putBuf(buf)
		}
	}()
	for {
		if buf == nil {
			buf = getBuf()
		}
		n, err := src.tryReadRecords(*buf)
		if n > 0 {
			pu.fed = true
			if pu.dir == b2c {
				pu.ws.p.metrics.bytesB2C.Add(float64(n)) // bytes from the backend
			}
			if ferr := pu.forward((*buf)[:n]); ferr != nil {
				return ferr, false
			}
		}
		if err == nil {
			continue
		}
		if errors.Is(err, errWouldBlock) {
			// Nothing buffered anywhere: give the buffer back and wait
			// without one. A drain may be due at this boundary first.
			putBuf(buf)
			buf = nil
			if err := pu.forward(nil); err != nil {
				return err, false
			}
			if !pu.park.registered() {
				if err = src.sock.waitReadable(); err == nil {
					continue
				}
			} else {
				if pu.ws.graceExpired(pu.dir) {
					return errGraceExpired, false
				}
				readable, err := pu.linger()
				if err != nil {
					return err, false
				}
				if readable {
					continue
				}
				if parked, err := pu.parkNow(src.sock.raw); err != nil || parked {
					return err, parked
				}
				continue // kicked meanwhile: look again
			}
		}
		if !isTimeout(err) || !pu.onDeadline() {
			return err, false
		}
		if err := pu.forward(nil); err != nil {
			return err, false
		}
	}
}

// feedLoop forwards from a plain socket (the backend): sock.feed reads,
// forwards and waits in one RawConn.Read, so a message costs one read and
// one write system call, and the loop runs only when the feed stops: a
// drain or grace to act on, a read deadline (time to park), an error or the
// end of the source.
func (pu *pump) feedLoop(s *sock) (err error, parked bool) {
	for {
		// A drain may be due at this boundary first.
		if err := pu.forward(nil); err != nil {
			return err, false
		}
		if pu.ws.graceExpired(pu.dir) {
			return errGraceExpired, false
		}
		if pu.park.registered() && !pu.startLinger() {
			continue
		}
		byFeeder, err := s.feed()
		if pu.park.registered() {
			pu.endLinger()
		}
		switch {
		case byFeeder && err != nil:
			return err, false
		case byFeeder || err == nil:
			continue // a callback stopped the feed: look again
		case !isTimeout(err):
			return err, false
		case !pu.park.registered():
			if !pu.onDeadline() {
				return err, false
			}
			continue
		case pu.ws.graceExpired(pu.dir):
			return errGraceExpired, false
		case pu.stayAwake():
			continue
		}
		if parked, err := pu.parkNow(s.raw); err != nil || parked {
			return err, parked
		}
		// Kicked meanwhile: look again.
	}
}

// parkNow parks the pump: it drops the destination's write deadline, arms
// the poller for the source and gives the goroutine up (parked true), or
// finds the pump kicked meanwhile (parked false: look again).
func (pu *pump) parkNow(raw syscall.RawConn) (parked bool, err error) {
	pu.dropWriteDeadline()
	if err := pu.park.arm(raw); err != nil {
		return false, err
	}
	if pu.state.CompareAndSwap(pumpRunning, pumpParked) {
		return true, nil
	}
	pu.state.Store(pumpRunning)
	return false, nil
}

// feedData forwards what sock.feed read; an error stops the feed.
func (pu *pump) feedData(p []byte) error {
	if pu.dir == b2c {
		pu.ws.p.metrics.bytesB2C.Add(float64(len(p))) // bytes from the backend
	}
	if err := pu.forward(p); err != nil {
		return err
	}
	pu.fed = true
	return nil
}

// feedEmpty runs when the feed's socket has nothing more: it injects a due
// close frame, and moves the linger deadline when data came, but only
// once it is less than parkAfter/2 away, not for every message. True lets
// the feed wait.
func (pu *pump) feedEmpty() (bool, error) {
	if err := pu.forward(nil); err != nil {
		return false, err
	}
	if !pu.park.registered() || !pu.fed {
		return true, nil
	}
	pu.fed = false
	now := mono()
	pu.lastData = now
	if now < pu.lingerRefresh {
		return true, nil
	}
	ws := pu.ws
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if pu.injectHere() {
		return false, nil // a drain started: let the loop inject
	}
	if g := ws.grace[pu.dir]; g != 0 && now >= g {
		return false, nil
	}
	pu.lingerLocked(now)
	return true, nil
}

// startLinger arms the linger deadline before a feed; false when a drain
// is due first.
func (pu *pump) startLinger() bool {
	ws := pu.ws
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if pu.injectHere() {
		// A drain started since forward last looked: inject first.
		return false
	}
	pu.lingerLocked(mono())
	return true
}

// lingerLocked sets the read deadline to parkAfter after the last data, or
// from now when that is longer ago (or to the end of the close grace, if
// sooner): a pump parks once its source has been quiet for parkAfter.
func (pu *pump) lingerLocked(now int64) {
	ws := pu.ws
	d := now + int64(parkAfter)
	if l := pu.lastData + int64(parkAfter); l > now {
		d = l // lingering on after a deadline set before the last data
	}
	pu.lingerRefresh = d - int64(parkAfter/2)
	if g := ws.grace[pu.dir]; g != 0 && g < d {
		d = g
	}
	ws.lingerUntil[pu.dir] = d
	_ = pu.srcConn().SetReadDeadline(monoTime(d))
}

// endLinger puts the read deadline back to the close grace's end (or
// none).
func (pu *pump) endLinger() {
	ws := pu.ws
	ws.mu.Lock()
	pu.endLingerLocked()
	ws.mu.Unlock()
}

func (pu *pump) endLingerLocked() {
	ws := pu.ws
	ws.lingerUntil[pu.dir] = 0
	pu.lingerRefresh = 0
	_ = pu.srcConn().SetReadDeadline(monoTime(ws.grace[pu.dir]))
}

// parkAfter is how long a pump waits for more data in its goroutine (where
// Go's netpoller wakes it fastest) before it parks and gives the goroutine
// up. Busy connections keep their goroutines; idle ones cost none.
const parkAfter = 250 * time.Millisecond

// linger waits up to parkAfter for the source to become readable. It
// reports false when the pump should park. Its read deadline stays armed
// while the pump reads what came, and moves only once it is less than
// parkAfter/2 away: not for every message.
func (pu *pump) linger() (readable bool, err error) {
	if pu.injectHere() {
		// A drain started since forward last looked: inject first.
		return true, nil
	}
	now := mono()
	if pu.fed {
		pu.fed = false
		pu.lastData = now
	}
	if now >= pu.lingerRefresh {
		ws := pu.ws
		ws.mu.Lock()
		if pu.injectHere() {
			ws.mu.Unlock()
			return true, nil
		}
		pu.lingerLocked(now)
		ws.mu.Unlock()
	}
	err = pu.src().sock.waitReadable()
	switch {
	case err == nil:
		return true, nil
	case !isTimeout(err):
		return false, err
	}
	pu.endLinger()
	return pu.stayAwake(), nil
}

// stayAwake says, once the linger deadline passed, whether the pump looks
// again instead of parking: it was kicked (drained, closed or grace over),
// or data came after the deadline was set (it moves lazily, see
// feedEmpty and linger).
func (pu *pump) stayAwake() bool {
	return pu.state.CompareAndSwap(pumpKicked, pumpRunning) || mono()-pu.lastData < int64(parkAfter)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout() && !errors.Is(err, errWouldBlock))
}

// onDeadline handles a read deadline: a drain wake-up (go on, forward will
// inject) or an expired grace period (stop). It restores the read deadline.
func (pu *pump) onDeadline() bool {
	ws := pu.ws
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if g := ws.grace[pu.dir]; g != 0 && mono() >= g {
		return false
	}
	pu.endLingerLocked()
	return true
}

// injectDue reports whether this pump must send its own close frame at the
// next boundary: the proxy drains and no close went to dst yet.
func (pu *pump) injectDue() bool {
	return pu.ws.draining() && !pu.suppress
}

// injectHere reports whether that close frame is due now: the stream is at
// a frame boundary.
func (pu *pump) injectHere() bool { return pu.injectDue() && pu.tr.atBoundary() }

// forward writes p to dst while following its frames. Normally p goes out
// in one write; it is split only at the frame boundary where a close frame
// must be injected (drain) or where src's own close frame ends (after which
// nothing more may be forwarded).
func (pu *pump) forward(p []byte) error {
	start, i := 0, 0
	for {
		if pu.suppress {
			pu.tr.advance(p[i:])
			start, i = len(p), len(p)
			break
		}
		if pu.injectHere() {
			if err := pu.write(p[start:i]); err != nil {
				return err
			}
			if err := pu.inject(); err != nil {
				return err
			}
			start = i
			continue
		}
		if i == len(p) {
			break
		}
		i += pu.tr.toBoundary(p[i:])
		if pu.tr.closeComplete() {
			if err := pu.write(p[start:i]); err != nil {
				return err
			}
			start = i
			pu.closeSent()
		}
	}
	if err := pu.write(p[start:i]); err != nil {
		return err
	}
	pu.checkHandshakes()
	return nil
}

func (pu *pump) write(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if d := pu.ws.p.cfg.IdleTimeout; d > 0 {
		// A write gets between d and 9/8 d: the deadline moves once it is
		// less than d away, not before every write.
		if now := mono(); now >= pu.writeRefresh {
			_ = pu.dstConn().SetWriteDeadline(monoTime(now + int64(d+d/8)))
			pu.writeRefresh = now + int64(d/8)
		}
	}
	n, err := pu.dstConn().Write(p)
	if pu.dir == c2b {
		pu.ws.p.metrics.bytesC2B.Add(float64(n)) // bytes to the backend
	}
	return err
}

// dropWriteDeadline clears the write deadline write set, before the pump
// parks: a parked pump writes nothing, and a pending deadline is a runtime
// timer each idle connection would keep (two per connection, until they
// fire IdleTimeout later). The next write sets it again.
func (pu *pump) dropWriteDeadline() {
	if pu.writeRefresh != 0 {
		_ = pu.dstConn().SetWriteDeadline(time.Time{})
		pu.writeRefresh = 0
	}
}

// inject sends a close frame with code 1001 to dst.
func (pu *pump) inject() error {
	if err := pu.write(closeFrame(wsframe.CloseGoingAway, drainReason, pu.dir == c2b)); err != nil {
		return err
	}
	pu.closeSent()
	return nil
}

// closeSent records that a complete close frame reached dst: from now on
// this pump forwards nothing (RFC 6455 5.5.1), it only watches src's frames.
func (pu *pump) closeSent() {
	pu.suppress = true
	pu.closes.Or(closeWentToDst)
}

// checkHandshakes acts on completed close handshakes. Toward the client the
// proxy is the server: once the client's close has arrived and a close went
// to the client, it closes the client connection (RFC 6455 7.1.1: the server
// closes the TCP connection first). Toward the backend it is the client: once
// both closes passed, the backend should close the TCP connection, and gets
// closeGrace to do so.
func (pu *pump) checkHandshakes() {
	if pu.tr.closeComplete() {
		pu.closes.Or(closeCameFromSrc)
	}
	ws := pu.ws
	toBackend, toClient := &ws.pumps[c2b], &ws.pumps[b2c]
	if toBackend.srcClosed() && toClient.sentDone() {
		// The b2c pump never writes to the client again once its close went out.
		ws.closeClient()
	}
	if toClient.srcClosed() && toBackend.sentDone() {
		ws.mu.Lock()
		ws.armGraceLocked(b2c)
		ws.mu.Unlock()
	}
}

// pumpDone runs when a pump's loop ends. The first pump to end after a
// normal end of its source (EOF, or the client connection closed by the
// proxy after the close handshake) half-closes its destination and gives
// the other pump closeGrace to finish; after an error both connections are
// closed at once. The last pump to end cleans up.
func (ws *wsConn) pumpDone(pu *pump, err error) {
	graceful := err == nil || errors.Is(err, io.EOF) ||
		(pu.dir == c2b && ws.flags.Load()&wsClientClosedByUs != 0 && errors.Is(err, net.ErrClosed))
	ws.mu.Lock()
	ws.ended++
	last := ws.ended == 2
	if !last && graceful {
		if pu.dir == c2b {
			_ = closeWrite(ws.backend)
		} else {
			_ = ws.client.CloseWrite()
		}
		ws.armGraceLocked(1 - pu.dir)
	}
	ws.mu.Unlock()
	if !last && !graceful {
		ws.forceClose()
	}
	if last {
		ws.forceClose()
		ws.p.untrackWS(ws)
	}
}
