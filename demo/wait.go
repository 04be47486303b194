package main

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// waitFor polls WSSEndpoint name until done says so, printing every
// condition transition it sees on the way, as `kubectl get -w` would.
func (d *demo) waitFor(ctx context.Context, name string, limit time.Duration, done func(*wssv1.WSSEndpoint) bool) (*wssv1.WSSEndpoint, error) {
	var ep *wssv1.WSSEndpoint
	err := poll(ctx, limit, func() (bool, error) {
		ep = &wssv1.WSSEndpoint{}
		if err := d.env.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, ep); err != nil {
			return false, err
		}
		d.printTransitions(ep)
		return done(ep), nil
	})
	if err != nil {
		return ep, fmt.Errorf("waiting for WSSEndpoint %s: %w", name, err)
	}
	return ep, nil
}

func (d *demo) printTransitions(ep *wssv1.WSSEndpoint) {
	if d.seen == nil {
		d.seen = map[string]string{}
	}
	for _, typ := range []string{wssv1.ConditionCertificateReady, wssv1.ConditionServiceReady, wssv1.ConditionSidecarReady,
		wssv1.ConditionHandshakeHealthy, wssv1.ConditionReady, wssv1.ConditionStalled} {
		c := meta.FindStatusCondition(ep.Status.Conditions, typ)
		if c == nil {
			continue
		}
		key, now := ep.Name+"/"+typ, string(c.Status)+"/"+c.Reason
		if d.seen[key] == now {
			continue
		}
		d.seen[key] = now
		d.say("  %s %s=%s %s", ep.Name, typ, c.Status, c.Reason)
	}
}

// table prints the endpoint as `kubectl get wss` shows it.
func (d *demo) table(ep *wssv1.WSSEndpoint) {
	ready := meta.FindStatusCondition(ep.Status.Conditions, wssv1.ConditionReady)
	st, reason := "", ""
	if ready != nil {
		st, reason = string(ready.Status), ready.Reason
	}
	expires := ""
	if c := ep.Status.Certificate; c != nil && c.NotAfter != nil {
		expires = time.Until(c.NotAfter.Time).Round(time.Hour).String()
	}
	clients := ""
	if c := ep.Status.Clients; c != nil {
		clients = c.Summary
	}
	d.detail("%-10s %-6s %-20s %-10s %-36s %s", "NAME", "READY", "REASON", "EXPIRES", "URL", "CLIENT-FAILURES")
	d.detail("%-10s %-6s %-20s %-10s %-36s %s", ep.Name, st, reason, expires, ep.Status.URL, clients)
}

func is(ep *wssv1.WSSEndpoint, typ string, st metav1.ConditionStatus) bool {
	c := meta.FindStatusCondition(ep.Status.Conditions, typ)
	return c != nil && c.Status == st && c.ObservedGeneration == ep.Generation
}

// poll calls f every 200ms until it returns true, an error, or limit passes.
func poll(ctx context.Context, limit time.Duration, f func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var last error
	for {
		ok, err := f()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("%w (last error: %w)", ctx.Err(), last)
			}
			return ctx.Err()
		case <-t.C:
		}
	}
}
