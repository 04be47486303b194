package probe

import (
	"errors"
	"fmt"
	"io"
	"time"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// idle holds ws silent for p.o.Idle (answering the server's pings, skipping
// data), then pings again. upgraded is when the WebSocket opened. A close,
// reset or EOF meanwhile, or a second ping that fails, is IdleTimeout.
func (p *attempt) idle(ws *wsConn, upgraded time.Time) *failure {
	start := time.Now()
	defer func() { p.r.Timings.IdleMs = ms(time.Since(start)) }()
	if p.o.IdleStarted != nil {
		p.o.IdleStarted()
	}
	if err := p.ctx.Err(); err != nil {
		return p.classify(PhaseIdle, err)
	}
	end := start.Add(p.o.Idle)
	_ = ws.SetReadDeadline(end)
	for {
		f, err := readFrame(ws.r)
		if err == nil {
			switch f.opcode {
			case wsframe.OpPing:
				if err := writeFrame(ws, wsframe.OpPong, f.payload); err != nil {
					return p.idleCut(start, upgraded, describeCut(err))
				}
			case wsframe.OpClose:
				code, reason := closePayload(f.payload)
				return p.idleCut(start, upgraded, fmt.Sprintf("the server closed the WebSocket with code %d %q", code, truncate(reason, 123)))
			}
			continue
		}
		if p.ctx.Err() != nil {
			return p.classify(PhaseIdle, err)
		}
		if isTimeout(err) && !time.Now().Before(end) {
			break // survived the idle period
		}
		if pe, ok := errors.AsType[*protocolError](err); ok {
			return &failure{reason: wssv1.ReasonUnknown, phase: PhaseIdle, message: pe.Error()}
		}
		return p.idleCut(start, upgraded, describeCut(err))
	}
	if dl, ok := p.ctx.Deadline(); ok {
		_ = ws.SetReadDeadline(dl)
	}
	if f := p.ping(ws); f != nil {
		return p.idleCut(start, upgraded, "the ping sent after the idle period failed: "+f.message)
	}
	return nil
}

// idleCut is the IdleTimeout failure for a connection cut while idle.
func (p *attempt) idleCut(idleStart, upgraded time.Time, what string) *failure {
	now := time.Now()
	return &failure{
		reason: wssv1.ReasonIdleTimeout, phase: PhaseIdle,
		message: fmt.Sprintf("the WebSocket was healthy (upgrade and ping answered) and was cut after %s without traffic, %s after the upgrade (--idle %s): %s",
			now.Sub(idleStart).Round(time.Millisecond), now.Sub(upgraded).Round(time.Millisecond), p.o.Idle, what),
	}
}

// describeCut says how the connection ended.
func describeCut(err error) string {
	switch {
	case isReset(err):
		return "the peer reset the connection (" + err.Error() + ")"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the peer closed the connection without a WebSocket close frame (EOF)"
	}
	return err.Error()
}
