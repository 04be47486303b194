//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmutil "github.com/cert-manager/cert-manager/pkg/api/util"
	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	"github.com/coder/websocket"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certinfo"
	"github.com/wss-operator/wss-operator/internal/injection"
	"github.com/wss-operator/wss-operator/internal/testenv"
)

const (
	ns        = "wss-e2e"
	release   = "wss-operator"
	releaseNS = "wss-operator-system"
	// tlsAddr is where the injected sidecar serves TLS: the pod is
	// hostNetwork, so its 8443 (spec.tls.port's default) is the node's.
	tlsAddr = "127.0.0.1:8443"
)

// TestRealNode is the whole story on one node, in order; each stage needs
// the one before.
func TestRealNode(t *testing.T) {
	g := NewWithT(t)
	g.SetDefaultEventuallyTimeout(3 * time.Minute)
	g.SetDefaultEventuallyPollingInterval(250 * time.Millisecond)
	n := newNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	st := newStages()
	defer st.summary()

	for _, tar := range []string{n.imageTar, n.echoTar} {
		run(ctx, t, "ctr", "--address", n.ctrAddress, "--namespace", "k8s.io", "images", "import", tar)
	}
	st.done("import the operator and echo images into containerd")

	// cert-manager: its CRDs, and its controllers in this process (no
	// cert-manager image exists here, and none is pulled).
	crds, err := testenv.CertManagerCRDs(n.root)
	g.Expect(err).NotTo(HaveOccurred())
	n.k(ctx, t, "apply", "--server-side", "-f", crds)
	n.k(ctx, t, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
	n.k(ctx, t, "create", "namespace", "cert-manager")
	cmCtx, stopCM := context.WithCancel(ctx)
	cmDone := make(chan error, 1)
	go func() {
		cmDone <- testenv.RunCertManager(cmCtx, testenv.CertManagerOptions{Kubeconfig: n.kubeconfig, ClusterResourceNamespace: "cert-manager"})
	}()
	defer func() {
		stopCM()
		g.Expect(<-cmDone).To(Succeed())
	}()
	st.done("cert-manager CRDs; its controllers run in the test process")

	// The chart, with the image just imported and the values a node without
	// kube-proxy or CNI needs.
	repo, tag, _ := strings.Cut(n.image, ":")
	run(ctx, t, n.helm, "install", release, filepath.Join(n.root, "charts", "wss-operator"), "--kubeconfig", n.kubeconfig,
		"--namespace", releaseNS, "--create-namespace", "--wait", "--timeout", "5m",
		"--set", "image.repository="+repo, "--set", "image.tag="+tag, "--set", "image.pullPolicy=Never",
		"--set", "hostNetwork=true", "--set", "apiServer.host=127.0.0.1", "--set", "apiServer.port="+n.apiPort,
		"--set", fmt.Sprintf("probeConnectTo={echo.%s.svc:443=%s}", ns, tlsAddr))
	var managers corev1.PodList
	g.Expect(n.c.List(ctx, &managers, client.InNamespace(releaseNS))).To(Succeed())
	g.Expect(managers.Items).To(HaveLen(1))
	mgrPod := managers.Items[0]
	g.Expect(mgrPod.Spec.Containers[0].Image).To(Equal(n.image), "the manager runs the image make image built")
	g.Expect(mgrPod.Status.ContainerStatuses[0].Ready).To(BeTrue())
	st.done("helm install: the manager pod Ready")

	objs, err := testenv.DecodeObjects([]byte(n.k(ctx, t, "kustomize", filepath.Join(n.root, "config", "samples-hostnetwork"))), "config/samples-hostnetwork")
	g.Expect(err).NotTo(HaveOccurred())
	n.k(ctx, t, "create", "namespace", ns)
	var epObj *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "WSSEndpoint" {
			epObj = o
			continue
		}
		g.Expect(testenv.ApplyObject(ctx, n.c, o, ns)).To(Succeed(), "%s/%s", o.GetKind(), o.GetName())
	}
	dep := &appsv1.Deployment{}
	g.Eventually(func(g Gomega) {
		g.Expect(n.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "echo"}, dep)).To(Succeed())
		g.Expect(rolledOut(dep)).To(BeTrue())
	}).Should(Succeed())
	// What the API server stored before the operator touched the workload.
	before := dep.Spec.Template.DeepCopy()
	st.done("sample issuers and echo Deployment applied; echo Ready")

	g.Expect(epObj).NotTo(BeNil())
	g.Expect(testenv.ApplyObject(ctx, n.c, epObj, ns)).To(Succeed())
	ep := &wssv1.WSSEndpoint{}
	g.Eventually(func(g Gomega) {
		g.Expect(n.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "echo"}, ep)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(ep.Status.Conditions, wssv1.ConditionReady)).To(BeTrue(), "Ready: %v", ep.Status.Conditions)
		g.Expect(meta.IsStatusConditionTrue(ep.Status.Conditions, wssv1.ConditionHandshakeHealthy)).To(BeTrue())
		g.Expect(ep.Status.Handshake).NotTo(BeNil())
		g.Expect(ep.Status.Handshake.Pods).To(HaveLen(1))
	}).Should(Succeed())
	st.done("WSSEndpoint apply → Ready on a real node")

	// The pod kubelet runs: the native sidecar started before the app, the
	// pod Ready through the sidecar's readiness probe.
	pod := readyEchoPod(ctx, g, n)
	sc := injection.Find(&corev1.PodTemplateSpec{Spec: pod.Spec})
	g.Expect(sc).NotTo(BeNil(), "the sidecar is injected")
	g.Expect(sc.RestartPolicy).To(HaveValue(Equal(corev1.ContainerRestartPolicyAlways)), "a native sidecar")
	g.Expect(sc.ReadinessProbe).NotTo(BeNil())
	g.Expect(sc.Image).To(Equal(n.image), "the sidecar is the operator's own image")
	g.Expect(pod.Status.InitContainerStatuses).To(ContainElement(And(HaveField("Name", injection.ContainerName), HaveField("Ready", true))))
	sidecarStart := n.firstLogTime(ctx, t, ns, pod.Name, injection.ContainerName)
	echoStart := n.firstLogTime(ctx, t, ns, pod.Name, "echo")
	g.Expect(sidecarStart.Before(echoStart)).To(BeTrue(), "kubelet starts the sidecar (%s) before the app (%s)", sidecarStart, echoStart)
	fmt.Printf("e2e:   sidecar's first log line %s before the app's\n", echoStart.Sub(sidecarStart))
	g.Expect(ep.Status.Handshake.Pods[0].Name).To(Equal(pod.Name))
	g.Expect(ep.Status.Handshake.Pods[0].Reason).To(Equal(wssv1.ReasonHealthy))
	g.Expect(ep.Status.Handshake.Pods[0].ServedSHA256).To(Equal(ep.Status.Certificate.SHA256))

	secret := &corev1.Secret{}
	g.Expect(n.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: ep.Status.Certificate.SecretName}, secret)).To(Succeed())
	caPEM := secret.Data["ca.crt"]
	g.Expect(caPEM).NotTo(BeEmpty())
	echoed, err := testenv.WSSRoundTrip(ctx, tlsAddr, ep.Status.URL, caPEM, "hello from the e2e")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(echoed).To(Equal("hello from the e2e"))
	st.done("sidecar first, pod Ready, probe Healthy per pod, wss:// round trip")

	renew(ctx, t, g, n, st, ep, caPEM, pod.Name)
	refuseBrokenCertificate(ctx, g, n, pod.Name)
	st.done("a Secret whose key does not match is refused, no rollout")

	g.Expect(n.c.Delete(ctx, ep)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(n.c.Get(ctx, client.ObjectKeyFromObject(ep), &wssv1.WSSEndpoint{}))
	}).Should(BeTrue(), "the finalizer finishes")
	g.Eventually(func(g Gomega) {
		g.Expect(n.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "echo"}, dep)).To(Succeed())
		g.Expect(apiequality.Semantic.DeepEqual(&dep.Spec.Template, before)).To(BeTrue(),
			"the pod template is what the API server stored before injection:\nnow:    %+v\nbefore: %+v", dep.Spec.Template, *before)
	}).Should(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(n.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "echo"}, dep)).To(Succeed())
		g.Expect(rolledOut(dep)).To(BeTrue())
		p := readyEchoPod(ctx, g, n)
		g.Expect(p.Name).NotTo(Equal(pod.Name))
		g.Expect(p.Spec.InitContainers).To(BeEmpty(), "the new pod has no sidecar")
	}).Should(Succeed())
	st.done("WSSEndpoint deleted: template restored exactly, pods without sidecar")
}

// renew triggers a re-issuance the way `cmctl renew` does (the Issuing
// condition, through the status subresource) and follows it to the running
// pod: cert-manager writes a new Secret, kubelet swaps the mounted files,
// the sidecar reloads, the probe sees the new serial, and a WebSocket opened
// before is still open after.
func renew(ctx context.Context, t *testing.T, g Gomega, n *node, st *stages, ep *wssv1.WSSEndpoint, caPEM []byte, podName string) {
	t.Helper()
	roots := x509.NewCertPool()
	g.Expect(roots.AppendCertsFromPEM(caPEM)).To(BeTrue())
	u, err := url.Parse(ep.Status.URL)
	g.Expect(err).NotTo(HaveOccurred())
	tlsConfig := &tls.Config{RootCAs: roots, ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	dialer := &net.Dialer{}
	ws, _, err := websocket.Dial(ctx, ep.Status.URL, &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{
		TLSClientConfig: tlsConfig,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, tlsAddr)
		},
	}}})
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = ws.CloseNow() }()
	echo := func(msg string) {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		g.Expect(ws.Write(wctx, websocket.MessageText, []byte(msg))).To(Succeed())
		_, got, err := ws.Read(wctx)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(got)).To(Equal(msg))
	}
	echo("before renewal")
	oldSerial := ep.Status.Certificate.SerialNumber
	served := func() *x509.Certificate {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", tlsAddr, tlsConfig)
		if err != nil {
			return nil
		}
		defer func() { _ = conn.Close() }()
		return conn.ConnectionState().PeerCertificates[0]
	}
	g.Expect(served().SerialNumber.Text(16)).To(Equal(oldSerial))

	var crts cmv1.CertificateList
	g.Expect(n.c.List(ctx, &crts, client.InNamespace(ns))).To(Succeed())
	var crt *cmv1.Certificate
	for i := range crts.Items {
		if crts.Items[i].Spec.SecretName == ep.Status.Certificate.SecretName {
			crt = &crts.Items[i]
		}
	}
	g.Expect(crt).NotTo(BeNil(), "the operator's Certificate for Secret %s", ep.Status.Certificate.SecretName)
	cmutil.SetCertificateCondition(crt, crt.Generation, cmv1.CertificateConditionIssuing, cmmeta.ConditionTrue,
		"ManuallyTriggered", "Certificate re-issuance manually triggered")
	g.Expect(n.c.Status().Update(ctx, crt)).To(Succeed())
	t0 := time.Now()

	var newSerial, newSHA256 string
	g.Eventually(func(g Gomega) {
		s := &corev1.Secret{}
		g.Expect(n.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: crt.Spec.SecretName}, s)).To(Succeed())
		leaf, err := parseLeaf(s.Data["tls.crt"])
		g.Expect(err).NotTo(HaveOccurred())
		newSerial = leaf.SerialNumber.Text(16)
		newSHA256 = certinfo.Fingerprint(leaf)
		g.Expect(newSerial).NotTo(Equal(oldSerial))
	}).Should(Succeed())
	st.since("renewal: cert-manager wrote the new certificate", t0)
	g.Eventually(func() string {
		if c := served(); c != nil {
			return c.SerialNumber.Text(16)
		}
		return ""
	}).WithTimeout(4*time.Minute).Should(Equal(newSerial), "the sidecar serves the new leaf")
	st.since("renewal: kubelet swapped the Secret, the sidecar serves it", t0)
	g.Expect(n.logs(ctx, t, ns, podName, injection.ContainerName)).To(ContainElement(
		And(ContainSubstring("certificate reloaded"), ContainSubstring(newSHA256))), "the sidecar's log says it reloaded the new leaf")
	g.Eventually(func(g Gomega) {
		got := got(ctx, g, n, ep)
		g.Expect(got.Status.Certificate.SerialNumber).To(Equal(newSerial))
		g.Expect(got.Status.Certificate.SHA256).To(Equal(newSHA256))
		g.Expect(got.Status.Handshake.Pods).To(ConsistOf(And(HaveField("Reason", wssv1.ReasonHealthy), HaveField("ServedSHA256", got.Status.Certificate.SHA256))))
		g.Expect(meta.IsStatusConditionTrue(got.Status.Conditions, wssv1.ConditionReady)).To(BeTrue())
	}).Should(Succeed())
	st.since("renewal: status shows the new serial, served by the pod", t0)
	echo("after renewal")
	st.done("renewal end to end; the WebSocket opened before still echoes")
}

// refuseBrokenCertificate points the endpoint at a user Secret whose key
// belongs to another certificate: CertificateReady turns False with
// KeyMismatch and the Deployment is not rolled out.
func refuseBrokenCertificate(ctx context.Context, g Gomega, n *node, podName string) {
	ep := &wssv1.WSSEndpoint{}
	g.Expect(n.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "echo"}, ep)).To(Succeed())
	dep := &appsv1.Deployment{}
	g.Expect(n.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "echo"}, dep)).To(Succeed())
	generation := dep.Generation
	hosts := append([]string{fmt.Sprintf("echo.%s.svc", ns), fmt.Sprintf("echo.%s.svc.cluster.local", ns)}, ep.Spec.TLS.Hosts...)
	broken := mismatchedTLSSecret(ns, "echo-broken", hosts)
	g.Expect(n.c.Create(ctx, broken)).To(Succeed())
	patch := client.MergeFrom(ep.DeepCopy())
	ep.Spec.TLS.IssuerRef = nil
	ep.Spec.TLS.SecretName = broken.Name
	g.Expect(n.c.Patch(ctx, ep, patch)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(n.c.Get(ctx, client.ObjectKeyFromObject(ep), ep)).To(Succeed())
		c := meta.FindStatusCondition(ep.Status.Conditions, wssv1.ConditionCertificateReady)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.ObservedGeneration).To(Equal(ep.Generation))
		g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.Reason).To(Equal("KeyMismatch"))
	}).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(n.c.Get(ctx, client.ObjectKeyFromObject(dep), dep)).To(Succeed())
		g.Expect(dep.Generation).To(Equal(generation), "no rollout")
		g.Expect(readyEchoPod(ctx, g, n).Name).To(Equal(podName))
	}).WithTimeout(10 * time.Second).WithPolling(time.Second).Should(Succeed())
}

// got is the endpoint as the API server has it now.
func got(ctx context.Context, g Gomega, n *node, ep *wssv1.WSSEndpoint) *wssv1.WSSEndpoint {
	cur := &wssv1.WSSEndpoint{}
	g.Expect(n.c.Get(ctx, client.ObjectKeyFromObject(ep), cur)).To(Succeed())
	return cur
}

// readyEchoPod is the one Ready, not terminating echo pod.
func readyEchoPod(ctx context.Context, g Gomega, n *node) *corev1.Pod {
	var pods corev1.PodList
	g.Expect(n.c.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{"app.kubernetes.io/name": "echo"})).To(Succeed())
	var ready []*corev1.Pod
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				ready = append(ready, p)
			}
		}
	}
	g.Expect(ready).To(HaveLen(1), "one Ready echo pod")
	g.Expect(ready[0].Status.PodIP).To(Equal("127.0.0.1"), "hostNetwork on a loopback node")
	return ready[0]
}

// rolledOut: the Deployment's current template is fully rolled out and available.
func rolledOut(d *appsv1.Deployment) bool {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	return s.ObservedGeneration == d.Generation && s.UpdatedReplicas == want && s.ReadyReplicas == want &&
		s.AvailableReplicas == want && s.Replicas == want
}
