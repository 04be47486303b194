// Package metricsauth guards the manager's /metrics (--metrics-secure): a
// controller-runtime metrics filter that authenticates a request's bearer
// token with a TokenReview and authorizes its verb on its path with a
// SubjectAccessReview, both answered by the API server, as kube-rbac-proxy
// and controller-runtime's filters.WithAuthenticationAndAuthorization do.
//
// It exists so the manager does not link k8s.io/apiserver for two API calls:
// that library adds about 29 MB to the binary and, through its package
// initialisation, about 16 MiB to the resident set, whether or not
// --metrics-secure is on. The behaviour matches controller-runtime's filter:
// no token is 401, a token the API server does not accept is 401, a user
// without RBAC for the path is 403, an API error is 500; answers are
// cached (a token for one minute, an allow for five, a deny for 30 s).
package metricsauth
