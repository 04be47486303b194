package controllers

import (
	"errors"
	"fmt"
	"time"
)

// Every step of a reconcile ends in one of four outcomes, in the shape of
// Flux's internal/reconcile and internal/error:
//
//   - continue: the step returns nil; its facts are on the scope and the
//     next step runs;
//   - wait: the step returns a *waiting; something outside our control is
//     not done yet (cert-manager has not issued). Later steps do not run,
//     Reconciling=True, and the reconcile is requeued (or woken by a watch);
//   - stall: the step returns a *stalling; the spec cannot work until a
//     person changes something. Later steps do not run (nothing more is
//     written), Stalled=True, and the error is terminal: no retry until the
//     endpoint, its workload or its Secrets change;
//   - any other error is transient (an API timeout, a 5xx, a 403 while RBAC
//     rolls out, a conflict): later steps do not run, Reconciling=True names
//     it, and controller-runtime retries with backoff.
//
// A condition that no step evaluated keeps its previous value, so a
// transient error never turns True into Unknown.

// stalling stops the reconcile for good: the spec cannot work as written.
type stalling struct {
	// Reason is the Stalled condition's reason (and the root cause Ready names).
	Reason string
	// Message says what to change.
	Message string
}

func (s *stalling) Error() string { return s.Message }

// stall builds a stalling outcome.
func stall(reason, format string, args ...any) error {
	return &stalling{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// waiting stops the reconcile until something outside our control is done.
type waiting struct {
	// Message says what we wait for.
	Message string
	// RequeueAfter, when set, polls again; zero relies on a watch.
	RequeueAfter time.Duration
}

func (w *waiting) Error() string { return w.Message }

// asStalling returns err's *stalling, if it is one.
func asStalling(err error) (*stalling, bool) {
	var s *stalling
	ok := errors.As(err, &s)
	return s, ok
}

// asWaiting returns err's *waiting, if it is one.
func asWaiting(err error) (*waiting, bool) {
	var w *waiting
	ok := errors.As(err, &w)
	return w, ok
}
