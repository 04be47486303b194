package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certtest"
	"github.com/wss-operator/wss-operator/internal/injection"
	"github.com/wss-operator/wss-operator/internal/proxy"
	"github.com/wss-operator/wss-operator/internal/testenv"
)

// healthyEndpoint applies config/samples and follows the endpoint to a
// healthy, probed wss:// round trip.
func (d *demo) healthyEndpoint(ctx context.Context) error {
	c := d.env.Client
	if err := d.env.EnsureNamespace(ctx, namespace); err != nil {
		return err
	}
	samples := filepath.Join(d.env.Root, "config", "samples")
	var applied []string
	for _, f := range []string{"certificate-issuers.yaml", "echo.yaml", "wss_v1alpha1_wssendpoint.yaml"} {
		objs, err := testenv.ReadObjects(filepath.Join(samples, f))
		if err != nil {
			return err
		}
		for _, u := range objs {
			if u.GetKind() == "WSSEndpoint" {
				// Probe every 5s and turn unhealthy after 2 failures, so the
				// breakage below shows within seconds (the defaults are 30s and 3).
				if err := unstructured.SetNestedMap(u.Object, map[string]any{"interval": "5s", "timeout": "2s", "failureThreshold": int64(2)}, "spec", "healthCheck"); err != nil {
					return err
				}
			}
			if err := testenv.ApplyObject(ctx, c, u, namespace); err != nil {
				return err
			}
			applied = append(applied, u.GetKind()+" "+u.GetName())
		}
	}
	d.say("applied config/samples to namespace %s:", namespace)
	d.detail("%s", strings.Join(applied, ", "))
	d.detail("(healthCheck set to every 5s, failureThreshold 2, so the demo moves quickly)")

	ep, err := d.waitFor(ctx, "echo", 2*time.Minute, func(ep *wssv1.WSSEndpoint) bool {
		return is(ep, wssv1.ConditionCertificateReady, metav1.ConditionTrue)
	})
	if err != nil {
		return err
	}
	cs := ep.Status.Certificate
	d.say("certificate issued by cert-manager (Issuer demo-ca) and checked by the operator")
	d.detail("Secret %s: issuer %q, SANs %v", cs.SecretName, cs.Issuer, cs.DNSNames)
	d.detail("valid until %s, sha256 %s…, chain of %d", cs.NotAfter.UTC().Format(time.RFC3339), cs.SHA256[:16], cs.ChainLength)

	dep := &appsv1.Deployment{}
	if err := poll(ctx, time.Minute, func() (bool, error) {
		if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "echo"}, dep); err != nil {
			return false, err
		}
		return injection.Find(&dep.Spec.Template) != nil, nil
	}); err != nil {
		return fmt.Errorf("waiting for the sidecar in Deployment echo: %w", err)
	}
	sc := injection.Find(&dep.Spec.Template)
	d.say("sidecar injected into Deployment echo by server-side apply (field manager %q):", "wss-operator")
	d.detail("initContainers[%s] restartPolicy=%s image=%s", sc.Name, *sc.RestartPolicy, sc.Image)
	d.detail("args: %s", strings.Join(sc.Args, " "))
	d.detail("the user's container %q is untouched", dep.Spec.Template.Spec.Containers[0].Name)
	svc := &corev1.Service{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "echo"}, svc); err == nil {
		d.say("Service echo: port %d -> sidecar port %s", svc.Spec.Ports[0].Port, svc.Spec.Ports[0].TargetPort.String())
	}

	if err := d.startPod(ctx); err != nil {
		return err
	}
	ep, err = d.waitFor(ctx, "echo", 2*time.Minute, func(ep *wssv1.WSSEndpoint) bool {
		return is(ep, wssv1.ConditionReady, metav1.ConditionTrue)
	})
	if err != nil {
		return err
	}
	hs := ep.Status.Handshake
	d.say("live probe: %s — %s, %s, %d ms, pods %v", hs.Reason, hs.TLSVersion, hs.CipherSuite, hs.LatencyMilliseconds, podReasons(hs))
	d.say("kubectl get wss:")
	d.table(ep)
	return d.roundTrip(ctx, ep)
}

// startPod plays the kubelet for Deployment echo: the plain WebSocket
// server, the real sidecar with the Secret mounted as the kubelet mounts it
// (and kept in sync), a Pod object at a loopback address, and a finished
// rollout.
func (d *demo) startPod(ctx context.Context) error {
	c := d.env.Client
	echo, err := testenv.StartEcho("127.0.0.1:0", "/")
	if err != nil {
		return err
	}
	d.backend = echo
	d.defer_(func() { d.backend.Stop() })

	dir, err := os.MkdirTemp("", "wss-demo-tls-")
	if err != nil {
		return err
	}
	d.defer_(func() { _ = os.RemoveAll(dir) })
	secret := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "echo-tls"}, secret); err != nil {
		return err
	}
	if err := testenv.WriteSecretVolume(dir, volumeData(secret)); err != nil {
		return err
	}
	syncCtx, stopSync := context.WithCancel(ctx)
	d.defer_(stopSync)
	go d.syncSecretVolume(syncCtx, dir, secret.ResourceVersion)

	px, err := proxy.New(proxy.Config{
		Listen: "127.0.0.1:0", Backend: echo.Addr, CertDir: dir, AdminListen: "127.0.0.1:0",
		DrainTimeout: 2 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("starting the sidecar: %w", err)
	}
	d.background(context.Background(), "sidecar", px.Run)
	d.proxyAddr = px.Addr().String()

	const podIP = "127.0.2.1"
	d.net.Route("echo."+namespace+".svc:443", d.proxyAddr)
	d.net.Route(podIP+":8443", d.proxyAddr)
	d.net.Route(podIP+":9090", px.AdminAddr().String())
	if err := testenv.RollOutDeployment(ctx, c, namespace, "echo"); err != nil {
		return err
	}
	if err := testenv.CreatePodFor(ctx, c, namespace, "echo", "echo-0", podIP); err != nil {
		return err
	}
	d.say("kubelet stand-in: pod echo-0 at %s runs", podIP)
	d.detail("the plain ws:// echo server on %s", echo.Addr)
	d.detail("the real sidecar (wss-operator proxy) on %s, admin on %s, reading the Secret from %s", d.proxyAddr, px.AdminAddr(), dir)
	d.detail("the probe dials echo.%s.svc:443 and %s:8443; both are routed to the sidecar on loopback", namespace, podIP)
	return nil
}

// volumeData is what the injected projected volume holds: tls.crt and tls.key.
func volumeData(s *corev1.Secret) map[string][]byte {
	return map[string][]byte{corev1.TLSCertKey: s.Data[corev1.TLSCertKey], corev1.TLSPrivateKeyKey: s.Data[corev1.TLSPrivateKeyKey]}
}

// syncSecretVolume updates the mounted files when the Secret changes, as
// the kubelet does (it takes up to a minute there; here two seconds).
func (d *demo) syncSecretVolume(ctx context.Context, dir, rv string) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s := &corev1.Secret{}
		if err := d.env.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "echo-tls"}, s); err != nil || s.ResourceVersion == rv {
			continue
		}
		if err := testenv.WriteSecretVolume(dir, volumeData(s)); err == nil {
			rv = s.ResourceVersion
			d.say("kubelet stand-in: Secret echo-tls changed; mounted files swapped atomically (..data)")
		}
	}
}

// roundTrip sends a message over wss:// through the sidecar, trusting only
// the CA in the Secret, and prints the echo.
func (d *demo) roundTrip(ctx context.Context, ep *wssv1.WSSEndpoint) error {
	secret := &corev1.Secret{}
	if err := d.env.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "echo-tls"}, secret); err != nil {
		return err
	}
	rtCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	msg := "hello over wss:// at " + time.Now().Format("15:04:05")
	got, err := testenv.WSSRoundTrip(rtCtx, d.proxyAddr, ep.Status.URL, secret.Data["ca.crt"], msg)
	if err != nil {
		return err
	}
	d.say("real wss:// round trip to %s (trusting only the Secret's ca.crt):", ep.Status.URL)
	d.detail("sent %q, the backend echoed %q", msg, got)
	return nil
}

// breakBackend stops the plain WebSocket server: the sidecar answers 502,
// the probe reports BackendUnavailable once the threshold is reached, and
// recovers when the server returns.
func (d *demo) breakBackend(ctx context.Context) error {
	fmt.Println()
	d.say("breaking it on purpose: stopping the plain ws:// server behind the sidecar")
	addr := d.backend.Addr
	d.backend.Stop()
	ep, err := d.waitFor(ctx, "echo", 2*time.Minute, func(ep *wssv1.WSSEndpoint) bool {
		return is(ep, wssv1.ConditionHandshakeHealthy, metav1.ConditionFalse)
	})
	if err != nil {
		return err
	}
	c := meta.FindStatusCondition(ep.Status.Conditions, wssv1.ConditionHandshakeHealthy)
	d.say("status says why: HandshakeHealthy=False reason %s (phase %s)", c.Reason, ep.Status.Handshake.Phase)
	d.detail("%s", c.Message)
	d.table(ep)

	d.say("starting the ws:// server again on %s", addr)
	echo, err := testenv.StartEcho(addr, "/")
	if err != nil {
		return err
	}
	d.backend = echo
	ep, err = d.waitFor(ctx, "echo", 2*time.Minute, func(ep *wssv1.WSSEndpoint) bool {
		return is(ep, wssv1.ConditionReady, metav1.ConditionTrue)
	})
	if err != nil {
		return err
	}
	d.say("recovered:")
	d.table(ep)
	return nil
}

// oldClient plays a client of the TLS 1.1 generation (Android 4.x, Java 7)
// against the sidecar: its handshake fails, and status names who failed and
// why, next to the compatibility table of the current TLS profile.
func (d *demo) oldClient(ctx context.Context) error {
	fmt.Println()
	d.say("a client of the Android 4.x / Java 7 generation (TLS 1.0-1.1 only) connects:")
	cfg := &tls.Config{ServerName: "echo." + namespace + ".svc", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11, InsecureSkipVerify: true} //nolint:gosec // the old client the scene plays
	conn, err := tls.Dial("tcp", d.proxyAddr, cfg)
	if err == nil {
		_ = conn.Close()
		return fmt.Errorf("the TLS 1.1 client was accepted; the Intermediate profile should refuse it")
	}
	d.detail("the client sees: %v", err)
	ep, err := d.waitFor(ctx, "echo", 2*time.Minute, func(ep *wssv1.WSSEndpoint) bool {
		return ep.Status.Clients != nil && len(ep.Status.Clients.Failures) > 0 && ep.Status.Compatibility != nil
	})
	if err != nil {
		return err
	}
	f := ep.Status.Clients.Failures[0]
	d.say("status.clients: %d failed handshake(s) with %s; the client offered %v (from %s)", f.Count, f.Reason,
		f.Example.OfferedVersions, f.Example.ClientPrefix)
	d.say("status.compatibility under profile Intermediate:")
	for _, c := range ep.Status.Compatibility.Clients {
		mark := "✔"
		if !c.OK {
			mark = "✖ " + c.Reason
		}
		d.detail("%-15s %-28s %s", c.Profile, mark, c.StandsFor)
	}
	d.table(ep)
	return nil
}

// bringYourOwnCertificate shows the check that runs before anything serves
// a certificate: a user's Secret whose key belongs to another certificate is
// refused (KeyMismatch) and the sidecar is not injected until it is fixed.
func (d *demo) bringYourOwnCertificate(ctx context.Context) error {
	fmt.Println()
	c := d.env.Client
	d.say("bring your own certificate: Secret byo-tls whose tls.key belongs to another certificate")
	ca := certtest.NewCA(certtest.Options{CommonName: "demo private CA"})
	leaf := ca.Issue(certtest.Options{Hosts: []string{"byo." + namespace + ".svc", "byo." + namespace + ".svc.cluster.local"}})
	other := certtest.NewKey(certtest.ECDSAP256, 0)
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "byo-tls", Namespace: namespace}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{"tls.crt": leaf.CertPEM, "tls.key": certtest.KeyPEM(other, certtest.PKCS8), "ca.crt": ca.CertPEM},
	}
	if err := c.Create(ctx, secret); err != nil {
		return err
	}
	echo := &appsv1.Deployment{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "echo"}, echo); err != nil {
		return err
	}
	byo := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "byo", Namespace: namespace},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "byo"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "byo"}},
				Spec:       corev1.PodSpec{Containers: echo.Spec.Template.Spec.Containers},
			},
		},
	}
	if err := c.Create(ctx, byo, client.FieldOwner(testenv.FieldManager)); err != nil {
		return err
	}
	ep := &wssv1.WSSEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: "byo", Namespace: namespace},
		Spec: wssv1.WSSEndpointSpec{
			WorkloadRef: wssv1.WorkloadReference{Kind: wssv1.WorkloadDeployment, Name: "byo"},
			Backend:     wssv1.Backend{Port: 8080},
			TLS:         wssv1.TLS{SecretName: "byo-tls"},
		},
	}
	if err := c.Create(ctx, ep); err != nil {
		return err
	}
	got, err := d.waitFor(ctx, "byo", time.Minute, func(ep *wssv1.WSSEndpoint) bool {
		return is(ep, wssv1.ConditionCertificateReady, metav1.ConditionFalse)
	})
	if err != nil {
		return err
	}
	cond := meta.FindStatusCondition(got.Status.Conditions, wssv1.ConditionCertificateReady)
	d.say("refused before anything serves it: CertificateReady=False reason %s", cond.Reason)
	d.detail("%s", cond.Message)
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "byo"}, byo); err != nil {
		return err
	}
	d.detail("Deployment byo has a sidecar: %v (a broken certificate is never rolled out)", injection.Find(&byo.Spec.Template) != nil)

	d.say("fixing the Secret: putting the leaf's own key into tls.key")
	secret.Data["tls.key"] = leaf.KeyPEM
	if err := c.Update(ctx, secret); err != nil {
		return err
	}
	if _, err := d.waitFor(ctx, "byo", time.Minute, func(ep *wssv1.WSSEndpoint) bool {
		return is(ep, wssv1.ConditionCertificateReady, metav1.ConditionTrue)
	}); err != nil {
		return err
	}
	if err := poll(ctx, time.Minute, func() (bool, error) {
		if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "byo"}, byo); err != nil {
			return false, err
		}
		return injection.Find(&byo.Spec.Template) != nil, nil
	}); err != nil {
		return err
	}
	d.say("CertificateReady=True; the sidecar is now injected into Deployment byo")
	return nil
}

func podReasons(hs *wssv1.HandshakeStatus) []string {
	var out []string
	for _, p := range hs.Pods {
		out = append(out, p.Name+"="+p.Reason)
	}
	return out
}
