package metricsauth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	authnclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authzclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// The cache lifetimes of controller-runtime's filter.
const (
	tokenTTL = time.Minute
	allowTTL = 5 * time.Minute
	denyTTL  = 30 * time.Second
	// reviewTimeout bounds one review, retries included.
	reviewTimeout = 10 * time.Second
	// maxCached bounds each cache; a full cache is emptied of expired
	// answers, then, if still full, emptied.
	maxCached = 1024
)

// retry is apiserver's DefaultAuthWebhookRetryBackoff, as
// controller-runtime's filter uses it: five tries within about 4 s.
var retry = wait.Backoff{Duration: 500 * time.Millisecond, Factor: 1.5, Jitter: 0.2, Steps: 5}

// Reviewer asks the API server who a token is and what a user may do.
type Reviewer struct {
	tokens authnclient.TokenReviewInterface
	access authzclient.SubjectAccessReviewInterface
	now    func() time.Time
	retry  wait.Backoff

	mu      sync.Mutex
	users   map[[sha256.Size]byte]cached[*authnv1.UserInfo]
	answers map[string]cached[bool]
}

type cached[T any] struct {
	value   T
	expires time.Time
}

// NewReviewer builds a Reviewer from the manager's REST config and HTTP
// client.
func NewReviewer(cfg *rest.Config, httpClient *http.Client) (*Reviewer, error) {
	authn, err := authnclient.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("metricsauth: TokenReview client: %w", err)
	}
	authz, err := authzclient.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("metricsauth: SubjectAccessReview client: %w", err)
	}
	return &Reviewer{
		tokens: authn.TokenReviews(), access: authz.SubjectAccessReviews(), now: time.Now, retry: retry,
		users: map[[sha256.Size]byte]cached[*authnv1.UserInfo]{}, answers: map[string]cached[bool]{},
	}, nil
}

// FilterProvider is a metricsserver.Options.FilterProvider.
func FilterProvider(cfg *rest.Config, httpClient *http.Client) (metricsserver.Filter, error) {
	r, err := NewReviewer(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	return r.Filter, nil
}

// Filter wraps handler: only an authenticated user allowed the request's
// verb on its path reaches it.
func (r *Reviewer) Filter(log logr.Logger, handler http.Handler) (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		token, ok := bearer(req)
		if !ok {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		user, err := r.Authenticate(req.Context(), token)
		if err != nil {
			log.Error(err, "Authentication failed")
			http.Error(w, "Authentication failed", http.StatusInternalServerError)
			return
		}
		if user == nil {
			log.V(4).Info("Authentication failed")
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		verb := strings.ToLower(req.Method)
		allowed, err := r.Authorize(req.Context(), user, verb, req.URL.Path)
		if err != nil {
			msg := fmt.Sprintf("Authorization for user %s failed", user.Username)
			log.Error(err, msg)
			http.Error(w, msg, http.StatusInternalServerError)
			return
		}
		if !allowed {
			log.V(4).Info("Authorization denied", "user", user.Username, "verb", verb, "path", req.URL.Path)
			http.Error(w, fmt.Sprintf("Authorization denied for user %s", user.Username), http.StatusForbidden)
			return
		}
		handler.ServeHTTP(w, req)
	}), nil
}

// bearer is the request's bearer token (RFC 6750 section 2.1).
func bearer(req *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(req.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "bearer") || token == "" {
		return "", false
	}
	return token, true
}

// Authenticate returns who token is, nil when the API server does not
// accept it, or an error when it could not be asked.
func (r *Reviewer) Authenticate(ctx context.Context, token string) (*authnv1.UserInfo, error) {
	key := sha256.Sum256([]byte(token))
	if u, ok := lookup(r, r.users, key); ok {
		return u, nil
	}
	var user *authnv1.UserInfo
	err := review(ctx, r.retry, func(ctx context.Context) error {
		res, err := r.tokens.Create(ctx, &authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		if res.Status.Authenticated {
			u := res.Status.User
			user = &u
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("TokenReview: %w", err)
	}
	store(r, r.users, key, user, tokenTTL)
	return user, nil
}

// Authorize reports whether user may verb path (a non-resource URL).
func (r *Reviewer) Authorize(ctx context.Context, user *authnv1.UserInfo, verb, path string) (bool, error) {
	extra := make(map[string]authzv1.ExtraValue, len(user.Extra))
	for k, v := range user.Extra {
		extra[k] = authzv1.ExtraValue(v)
	}
	spec := authzv1.SubjectAccessReviewSpec{
		User: user.Username, UID: user.UID, Groups: user.Groups, Extra: extra,
		NonResourceAttributes: &authzv1.NonResourceAttributes{Path: path, Verb: verb},
	}
	key := fmt.Sprintf("%q %q %q %q %q %v", verb, path, user.Username, user.UID, user.Groups, user.Extra)
	if allowed, ok := lookup(r, r.answers, key); ok {
		return allowed, nil
	}
	var allowed bool
	err := review(ctx, r.retry, func(ctx context.Context) error {
		res, err := r.access.Create(ctx, &authzv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		// No opinion (neither allowed nor denied, with or without an
		// evaluationError) is a deny, as in apiserver's webhook authorizer.
		allowed = res.Status.Allowed && !res.Status.Denied
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("SubjectAccessReview: %w", err)
	}
	ttl := denyTTL
	if allowed {
		ttl = allowTTL
	}
	store(r, r.answers, key, allowed, ttl)
	return allowed, nil
}

// review calls create with retries, bounded by reviewTimeout.
func review(ctx context.Context, backoff wait.Backoff, create func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, reviewTimeout)
	defer cancel()
	var last error
	err := wait.ExponentialBackoffWithContext(ctx, backoff, func(ctx context.Context) (bool, error) {
		last = create(ctx)
		return last == nil, nil
	})
	if last != nil {
		return last
	}
	return err
}

func lookup[K comparable, V any](r *Reviewer, m map[K]cached[V], key K) (V, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := m[key]
	if !ok || !r.now().Before(c.expires) {
		var zero V
		return zero, false
	}
	return c.value, true
}

func store[K comparable, V any](r *Reviewer, m map[K]cached[V], key K, value V, ttl time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if len(m) >= maxCached {
		for k, c := range m {
			if !now.Before(c.expires) {
				delete(m, k)
			}
		}
		if len(m) >= maxCached {
			clear(m)
		}
	}
	m[key] = cached[V]{value: value, expires: now.Add(ttl)}
}
