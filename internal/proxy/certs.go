package proxy

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/wss-operator/wss-operator/internal/certinfo"
)

// File names inside the certificate directory, as a kubernetes.io/tls Secret
// (and cert-manager) name them.
const (
	certFile = "tls.crt"
	keyFile  = "tls.key"
	caFile   = "ca.crt"
	// dataDir is the symlink Kubernetes' AtomicWriter swaps to publish a new
	// version of a Secret volume: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>.
	dataDir = "..data"
)

// certState is one validated certificate pair (and client CA pool), ready to
// serve. It is immutable once built.
type certState struct {
	cert     *tls.Certificate
	leaf     *x509.Certificate
	clientCA *x509.CertPool // nil unless client auth is on
	config   *tls.Config    // the per-pair server config handed to crypto/tls
	digest   [32]byte       // of the file contents, to detect changes (never logged)
	sha256   string         // fingerprint of the leaf, for logs
}

// certFiles is the raw content of the certificate directory.
type certFiles struct {
	crt, key, ca []byte
	caPresent    bool
}

func (f *certFiles) digest() [32]byte {
	h := sha256.New()
	for _, b := range [][]byte{f.crt, f.key, f.ca} {
		fmt.Fprintf(h, "%d:", len(b))
		h.Write(b)
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}

// readCertFiles reads tls.crt, tls.key and ca.crt from dir. When dir is a
// Kubernetes Secret volume (it has a ..data symlink), the files are read
// through the resolved ..data target so that all three come from the same
// published version even if kubelet swaps ..data meanwhile.
func readCertFiles(dir string, wantCA bool) (*certFiles, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		base := dir
		target, terr := filepath.EvalSymlinks(filepath.Join(dir, dataDir))
		if terr == nil {
			base = target
		}
		f, err := readCertFilesFrom(dir, base, wantCA)
		if err == nil {
			return f, nil
		}
		lastErr = err
		// If kubelet swapped ..data (and removed the old version) while we
		// were reading, try again with the new target.
		if again, aerr := filepath.EvalSymlinks(filepath.Join(dir, dataDir)); terr != nil || aerr != nil || again == target {
			break
		}
	}
	return nil, lastErr
}

func readCertFilesFrom(dir, base string, wantCA bool) (*certFiles, error) {
	var f certFiles
	var err error
	if f.crt, err = readNamed(dir, base, certFile); err != nil {
		return nil, err
	}
	if f.key, err = readNamed(dir, base, keyFile); err != nil {
		return nil, err
	}
	f.ca, err = readNamed(dir, base, caFile)
	switch {
	case err == nil:
		f.caPresent = len(f.ca) > 0
	case errors.Is(err, fs.ErrNotExist) && !wantCA:
	default:
		return nil, err
	}
	return &f, nil
}

// readNamed reads base/name and names dir/name (the path the user knows) in errors.
func readNamed(dir, base, name string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(base, name))
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, name), err)
	}
	return b, nil
}

// loadCertState reads and validates the directory's pair: it must parse, the
// key must match the certificate, and the leaf must be valid at now. With
// client auth on, ca.crt must hold at least one certificate. Errors name the
// file and never include key material.
func loadCertState(dir string, base *tls.Config, now time.Time) (*certState, error) {
	wantCA := base.ClientAuth != tls.NoClientCert
	files, err := readCertFiles(dir, wantCA)
	if err != nil {
		return nil, err
	}
	return buildCertState(dir, files, base, now)
}

func buildCertState(dir string, files *certFiles, base *tls.Config, now time.Time) (*certState, error) {
	crtPath, keyPath := filepath.Join(dir, certFile), filepath.Join(dir, keyFile)
	if len(files.crt) == 0 {
		return nil, fmt.Errorf("%s: empty", crtPath)
	}
	if len(files.key) == 0 {
		return nil, fmt.Errorf("%s: empty", keyPath)
	}
	if b, _ := pem.Decode(files.crt); b == nil {
		return nil, fmt.Errorf("%s: no PEM data", crtPath)
	}
	if b, _ := pem.Decode(files.key); b == nil {
		return nil, fmt.Errorf("%s: no PEM data", keyPath)
	}
	pair, err := tls.X509KeyPair(files.crt, files.key)
	if err != nil {
		// X509KeyPair's errors name the problem (no certificate, unparseable
		// key, key does not match) but never the key bytes.
		return nil, fmt.Errorf("%s and %s: %w", crtPath, keyPath, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, fmt.Errorf("%s: %w", crtPath, err)
		}
	}
	switch {
	case now.Before(leaf.NotBefore):
		return nil, fmt.Errorf("%s: certificate is not valid before %s", crtPath, leaf.NotBefore.UTC().Format(time.RFC3339))
	case now.After(leaf.NotAfter):
		return nil, fmt.Errorf("%s: certificate expired at %s", crtPath, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	st := &certState{cert: &pair, leaf: leaf, digest: files.digest(), sha256: certinfo.Fingerprint(leaf)}
	if base.ClientAuth != tls.NoClientCert {
		caPath := filepath.Join(dir, caFile)
		if !files.caPresent {
			return nil, fmt.Errorf("%s: empty, but client authentication needs the client CA", caPath)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(files.ca) {
			return nil, fmt.Errorf("%s: no certificate found", caPath)
		}
		st.clientCA = pool
	}
	cfg := base.Clone()
	cfg.GetConfigForClient = nil
	cfg.Certificates = []tls.Certificate{pair}
	cfg.ClientCAs = st.clientCA
	st.config = cfg
	return st, nil
}
