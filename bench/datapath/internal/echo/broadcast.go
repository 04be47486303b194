package echo

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// Message kinds, the byte after the timestamp in a fan-out payload.
const (
	KindBroadcast = 'B' // pushed by the backend to every /broadcast connection
	KindClient    = 'C' // sent by a client; the backend echoes it back as is
)

// StampLen is the prefix of a fan-out payload: the sender's clock
// (time.Now().UnixNano(), big-endian) and the kind.
const StampLen = 9

// BroadcastLen is the prefix of a broadcast: the stamp, then the time of
// the round it belongs to (the hub's tick, UnixNano, big-endian), the same
// in every member's copy.
const BroadcastLen = StampLen + 8

// Stamp writes the current time and kind into the start of payload.
func Stamp(payload []byte, kind byte) {
	binary.BigEndian.PutUint64(payload, uint64(time.Now().UnixNano()))
	payload[8] = kind
}

// StampBroadcast stamps a broadcast of the round at tick.
func StampBroadcast(payload []byte, tick time.Time) {
	Stamp(payload, KindBroadcast)
	binary.BigEndian.PutUint64(payload[StampLen:], uint64(tick.UnixNano()))
}

// Stamped reads a payload's timestamp and kind; ok is false when the
// payload is too short to carry them.
func Stamped(payload []byte) (sent time.Time, kind byte, ok bool) {
	if len(payload) < StampLen {
		return time.Time{}, 0, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(payload))), payload[8], true
}

// Round reads the round of a broadcast; ok is false when the payload is
// not a broadcast or too short to carry it.
func Round(payload []byte) (tick time.Time, ok bool) {
	if len(payload) < BroadcastLen || payload[8] != KindBroadcast {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(payload[StampLen:]))), true
}

// Hub pushes a Size-byte binary message to every /broadcast connection
// every Interval: the fan-out workload of a chat or a price feed. Each
// message carries the time it was handed to that connection's socket, so
// the client measures delivery latency through whatever sits in between
// and not the time the backend spent on the connections before it, and the
// time of its round, so the client counts each round once, in the
// interval the backend meant it for.
type Hub struct {
	Size     int
	Interval time.Duration

	mu      sync.Mutex
	members []*member
	once    sync.Once
}

type member struct {
	c   net.Conn
	wmu sync.Mutex // the broadcaster and the echo of client messages both write
}

func (h *Hub) start() {
	h.once.Do(func() {
		if h.Size < BroadcastLen {
			h.Size = 64
		}
		if h.Interval <= 0 {
			h.Interval = 100 * time.Millisecond
		}
		go h.loop()
	})
}

// loop broadcasts a round on every tick, each member once. A tick that
// comes while the previous round is still being written is dropped
// (time.Ticker), so a backend that cannot keep up delivers fewer messages
// instead of queueing them; the client sees that as a delivered fraction
// below one. A round's time is its tick's, on the ticker's grid: rounds
// are at least Interval apart.
func (h *Hub) loop() {
	t := time.NewTicker(h.Interval)
	defer t.Stop()
	payload := make([]byte, h.Size)
	for i := range payload {
		payload[i] = byte(i)
	}
	frame := wsframe.AppendHeader(make([]byte, 0, wsframe.MaxHeader+h.Size), true, wsframe.OpBinary, h.Size, nil)
	at := len(frame)
	frame = append(frame, payload...)
	var batch []*member
	for tick := range t.C {
		h.mu.Lock()
		batch = append(batch[:0], h.members...)
		h.mu.Unlock()
		for _, m := range batch {
			m.wmu.Lock()
			StampBroadcast(frame[at:], tick)
			_, err := m.c.Write(frame)
			m.wmu.Unlock()
			if err != nil {
				h.remove(m)
			}
		}
	}
}

func (h *Hub) add(m *member) {
	h.mu.Lock()
	h.members = append(h.members, m)
	h.mu.Unlock()
}

func (h *Hub) remove(m *member) {
	h.mu.Lock()
	if i := slices.Index(h.members, m); i >= 0 {
		last := len(h.members) - 1
		h.members[i] = h.members[last]
		h.members[last] = nil
		h.members = h.members[:last]
	}
	h.mu.Unlock()
}

// serve keeps c in the hub until it closes, echoing what the client sends.
func (h *Hub) serve(c net.Conn, br *bufio.Reader) {
	h.start()
	m := &member{c: c}
	h.add(m)
	defer h.remove(m)
	hdr := make([]byte, 0, wsframe.MaxHeader)
	buf := make([]byte, 0, 256)
	for {
		fh, err := wsframe.ReadHeader(br, maxFrame)
		if err != nil {
			return
		}
		if int64(cap(buf)) < fh.Length {
			buf = make([]byte, fh.Length)
		}
		p := buf[:fh.Length]
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		if fh.Masked {
			wsframe.Mask(fh.Mask, 0, p)
		}
		op := fh.Opcode
		switch op {
		case wsframe.OpPong:
			continue
		case wsframe.OpPing:
			op = wsframe.OpPong
		}
		hdr = wsframe.AppendHeader(hdr[:0], fh.Fin, op, len(p), nil)
		bufs := net.Buffers{hdr, p}
		m.wmu.Lock()
		_, err = bufs.WriteTo(c)
		m.wmu.Unlock()
		if err != nil || op == wsframe.OpClose {
			return
		}
	}
}
