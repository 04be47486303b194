package metricsauth

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	. "github.com/onsi/gomega"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/wss-operator/wss-operator/internal/testenv"
)

// countingTransport counts the reviews sent to the API server.
type countingTransport struct {
	next                   http.RoundTripper
	tokenReviews, accesses atomic.Int32
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch {
	case strings.HasSuffix(req.URL.Path, "/tokenreviews"):
		c.tokenReviews.Add(1)
	case strings.HasSuffix(req.URL.Path, "/subjectaccessreviews"):
		c.accesses.Add(1)
	}
	return c.next.RoundTrip(req)
}

// TestFilterAgainstAPIServer runs the filter against a real kube-apiserver
// with RBAC: service-account tokens from the TokenRequest API, a
// ClusterRole for GET /metrics bound to one of them.
func TestFilterAgainstAPIServer(t *testing.T) {
	g := NewWithT(t)
	ctx, env := testenv.StartForTest(t, 3*time.Minute, testenv.Options{})
	cs, err := kubernetes.NewForConfig(env.Config)
	g.Expect(err).NotTo(HaveOccurred())

	const ns = "monitoring"
	g.Expect(env.EnsureNamespace(ctx, ns)).To(Succeed())
	token := func(name string) string {
		_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authnv1.TokenRequest{}, metav1.CreateOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		return tr.Status.Token
	}
	scraper, stranger := token("prometheus"), token("stranger")
	_, err = cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "metrics-reader"},
		Rules:      []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}},
	}, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "prometheus-metrics-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "metrics-reader"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: "prometheus"}},
	}, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())

	counter := &countingTransport{}
	httpClient, err := rest.HTTPClientFor(env.Config)
	g.Expect(err).NotTo(HaveOccurred())
	counter.next = httpClient.Transport
	httpClient.Transport = counter
	r, err := NewReviewer(env.Config, httpClient)
	g.Expect(err).NotTo(HaveOccurred())
	h, err := r.Filter(testr.New(t), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "wss_endpoint_ready 1\n")
	}))
	g.Expect(err).NotTo(HaveOccurred())
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	get := func(method, path, authorization string) (int, string) {
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, nil)
		g.Expect(err).NotTo(HaveOccurred())
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := srv.Client().Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	code, _ := get(http.MethodGet, "/metrics", "")
	g.Expect(code).To(Equal(http.StatusUnauthorized), "no token")
	code, _ = get(http.MethodGet, "/metrics", "Basic dXNlcjpwYXNz")
	g.Expect(code).To(Equal(http.StatusUnauthorized), "not a bearer token")
	code, _ = get(http.MethodGet, "/metrics", "Bearer not-a-token")
	g.Expect(code).To(Equal(http.StatusUnauthorized), "a token the API server does not accept")
	code, body := get(http.MethodGet, "/metrics", "Bearer "+stranger)
	g.Expect(code).To(Equal(http.StatusForbidden), "authenticated, no RBAC for /metrics")
	g.Expect(body).To(ContainSubstring("system:serviceaccount:monitoring:stranger"))
	code, body = get(http.MethodGet, "/metrics", "bearer "+scraper)
	g.Expect(code).To(Equal(http.StatusOK), "RBAC allows get /metrics (the scheme is case-insensitive)")
	g.Expect(body).To(Equal("wss_endpoint_ready 1\n"))
	code, _ = get(http.MethodPost, "/metrics", "Bearer "+scraper)
	g.Expect(code).To(Equal(http.StatusForbidden), "the verb is the method: post is not allowed")
	code, _ = get(http.MethodGet, "/debug/pprof/heap", "Bearer "+scraper)
	g.Expect(code).To(Equal(http.StatusForbidden), "the path is checked, not only the token")

	// Answers are cached: the same requests again send no review.
	tokens, accesses := counter.tokenReviews.Load(), counter.accesses.Load()
	g.Expect(tokens).To(BeNumerically(">=", 3))
	for range 3 {
		code, _ = get(http.MethodGet, "/metrics", "Bearer "+scraper)
		g.Expect(code).To(Equal(http.StatusOK))
		code, _ = get(http.MethodGet, "/metrics", "Bearer "+stranger)
		g.Expect(code).To(Equal(http.StatusForbidden))
		code, _ = get(http.MethodGet, "/metrics", "Bearer not-a-token")
		g.Expect(code).To(Equal(http.StatusUnauthorized))
	}
	g.Expect(counter.tokenReviews.Load()).To(Equal(tokens))
	g.Expect(counter.accesses.Load()).To(Equal(accesses))

	// Expired answers are asked again.
	r.now = func() time.Time { return time.Now().Add(allowTTL + time.Second) }
	code, _ = get(http.MethodGet, "/metrics", "Bearer "+scraper)
	g.Expect(code).To(Equal(http.StatusOK))
	g.Expect(counter.tokenReviews.Load()).To(Equal(tokens + 1))
	g.Expect(counter.accesses.Load()).To(Equal(accesses + 1))
}

// TestFilterAPIServerDown: when the reviews cannot be sent, the request
// gets 500 (not 401 or 403: the caller is not at fault), after retries.
func TestFilterAPIServerDown(t *testing.T) {
	g := NewWithT(t)
	cfg := &rest.Config{Host: "https://127.0.0.1:1", BearerToken: "x", TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	httpClient, err := rest.HTTPClientFor(cfg)
	g.Expect(err).NotTo(HaveOccurred())
	r, err := NewReviewer(cfg, httpClient)
	g.Expect(err).NotTo(HaveOccurred())
	r.retry = wait.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 3}
	h, err := r.Filter(testr.New(t), http.NotFoundHandler())
	g.Expect(err).NotTo(HaveOccurred())
	rec := httptest.NewRecorder()
	req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/metrics", nil)
	req.Header.Set("Authorization", "Bearer some-token")
	h.ServeHTTP(rec, req)
	g.Expect(rec.Code).To(Equal(http.StatusInternalServerError))
	g.Expect(rec.Body.String()).To(ContainSubstring("Authentication failed"))
}

// TestCacheBounded: a full cache drops expired answers first, and never
// grows past maxCached.
func TestCacheBounded(t *testing.T) {
	g := NewWithT(t)
	r := &Reviewer{now: time.Now, answers: map[string]cached[bool]{}}
	for i := range 3 * maxCached {
		store(r, r.answers, strings.Repeat("k", 1+i%7)+string(rune(i)), true, time.Minute)
		g.Expect(len(r.answers)).To(BeNumerically("<=", maxCached))
	}
	clear(r.answers)
	store(r, r.answers, "old", true, -time.Second)
	for i := range maxCached - 1 {
		store(r, r.answers, string(rune(i+1000)), false, time.Minute)
	}
	store(r, r.answers, "new", true, time.Minute)
	_, ok := lookup(r, r.answers, "old")
	g.Expect(ok).To(BeFalse())
	v, ok := lookup(r, r.answers, "new")
	g.Expect(ok).To(BeTrue())
	g.Expect(v).To(BeTrue())
	g.Expect(r.answers).To(HaveLen(maxCached - 1 + 1))
}
