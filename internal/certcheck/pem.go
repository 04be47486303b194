package certcheck

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

var (
	beginMarker = []byte("-----BEGIN ")
	endMarker   = []byte("\n-----END ")
)

// block is one decoded PEM block and the line its BEGIN is on.
type block struct {
	*pem.Block
	line int
}

// scanPEM splits data into PEM blocks the way crypto/tls reads them (text
// before and between blocks is ignored, as openssl's "Bag Attributes" and
// "subject=" lines are), but unlike pem.Decode it reports what it skips: a
// BEGIN without an END, a block that does not decode, and text after the last
// block. Problems are messages without the file name.
func scanPEM(data []byte) (blocks []block, problems []string) {
	lines := lineCounter{data: data, line: 1}
	off, tail := 0, -1
	for off < len(data) {
		start := indexAtLineStart(data, off, beginMarker)
		if start < 0 {
			break
		}
		line := lines.at(start)
		// Search for the END only up to the next BEGIN: linear time on any input.
		next := indexAtLineStart(data, start+1, beginMarker)
		limit := len(data)
		if next >= 0 {
			limit = next
		}
		endRel := bytes.Index(data[start:limit], endMarker)
		if endRel < 0 {
			problems = append(problems, fmt.Sprintf("the PEM block at line %d has no END line (truncated?)", line))
			if next < 0 {
				return blocks, problems
			}
			off, tail = next, next
			continue
		}
		stop := start + endRel + 1
		if nl := bytes.IndexByte(data[stop:], '\n'); nl >= 0 {
			stop += nl + 1
		} else {
			stop = len(data)
		}
		b, rest := pem.Decode(data[start:stop])
		if b == nil || !isBlank(rest) {
			problems = append(problems, fmt.Sprintf(
				"the PEM block at line %d does not decode (bad base64, bad headers, or an END line that does not match its BEGIN)", line))
		} else {
			blocks = append(blocks, block{Block: b, line: line})
		}
		off, tail = stop, stop
	}
	if tail >= 0 && !isBlank(data[tail:]) {
		trailing := bytes.TrimSpace(data[tail:])
		problems = append(problems, fmt.Sprintf("%d bytes of text after the last PEM block (from line %d) are not PEM",
			len(trailing), lines.at(tail+bytes.Index(data[tail:], trailing[:1]))))
	}
	return blocks, problems
}

// lineCounter turns increasing offsets into line numbers in linear time.
type lineCounter struct {
	data      []byte
	off, line int
}

func (l *lineCounter) at(off int) int {
	if off < l.off {
		l.off, l.line = 0, 1
	}
	l.line += bytes.Count(l.data[l.off:off], []byte("\n"))
	l.off = off
	return l.line
}

// indexAtLineStart finds marker at or after from where it starts a line.
func indexAtLineStart(data []byte, from int, marker []byte) int {
	for from < len(data) {
		i := bytes.Index(data[from:], marker)
		if i < 0 {
			return -1
		}
		pos := from + i
		if pos == 0 || data[pos-1] == '\n' {
			return pos
		}
		from = pos + 1
	}
	return -1
}

func isBlank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

// notPEM explains data that holds no PEM block at all.
func notPEM(data []byte) string {
	if len(data) > 0 && data[0] == 0x30 {
		return "is not PEM (no -----BEGIN line); it looks like binary DER, convert it with `openssl x509 -inform der` (certificates) or `openssl pkey -inform der` (keys)"
	}
	return "is not PEM (no -----BEGIN line)"
}

// parseCertFile parses every CERTIFICATE block of a certificate file (tls.crt
// or ca.crt), reporting every other block and every problem as MalformedPEM.
func (c *checker) parseCertFile(data []byte, file string) []*x509.Certificate {
	blocks, problems := scanPEM(data)
	for _, p := range problems {
		c.add(wssv1.ReasonMalformedPEM, "%s: %s", file, p)
	}
	if len(blocks) == 0 && len(problems) == 0 {
		c.add(wssv1.ReasonMalformedPEM, "%s %s", file, notPEM(data))
		return nil
	}
	var certs []*x509.Certificate
	for i, b := range blocks {
		if b.Type != "CERTIFICATE" {
			hint := ""
			if strings.HasSuffix(b.Type, "PRIVATE KEY") {
				hint = " (a private key belongs in the key file, not here)"
			}
			c.add(wssv1.ReasonMalformedPEM, "%s: block #%d (line %d) is %q, not \"CERTIFICATE\"%s", file, i+1, b.line, b.Type, hint)
			continue
		}
		x, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			c.add(wssv1.ReasonMalformedPEM, "%s: the CERTIFICATE block at line %d does not parse: %s", file, b.line, shortErr(err))
			continue
		}
		certs = append(certs, x)
	}
	if len(certs) == 0 && len(blocks) > 0 && noCertificateBlock(blocks) {
		c.add(wssv1.ReasonMalformedPEM, "%s holds no CERTIFICATE block", file)
	}
	return certs
}

// noCertificateBlock is true when no block is a CERTIFICATE (so the file
// needs a "no certificate" finding beyond the per-block ones).
func noCertificateBlock(blocks []block) bool {
	for _, b := range blocks {
		if b.Type == "CERTIFICATE" {
			return false
		}
	}
	return true
}

// parseKeyFile finds the first private key block of a key file as
// crypto/tls does (other blocks, such as certificates or EC PARAMETERS, are
// skipped) and returns its public key, or nil after adding a finding.
func (c *checker) parseKeyFile(data []byte, file string) crypto.PublicKey {
	blocks, problems := scanPEM(data)
	for _, p := range problems {
		c.add(wssv1.ReasonMalformedPEM, "%s: %s", file, p)
	}
	if len(blocks) == 0 {
		if len(problems) == 0 {
			c.add(wssv1.ReasonMalformedPEM, "%s %s", file, notPEM(data))
		}
		return nil
	}
	var seen []string
	for _, b := range blocks {
		if b.Type == "ENCRYPTED PRIVATE KEY" {
			c.add(wssv1.ReasonEncryptedPrivateKey,
				"%s: the private key at line %d is encrypted (PKCS#8 \"ENCRYPTED PRIVATE KEY\"); a server cannot use it without the password", file, b.line)
			return nil
		}
		if b.Type != "PRIVATE KEY" && !strings.HasSuffix(b.Type, " PRIVATE KEY") {
			seen = append(seen, fmt.Sprintf("%q", b.Type))
			continue
		}
		if strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
			c.add(wssv1.ReasonEncryptedPrivateKey,
				"%s: the %s at line %d is encrypted (\"Proc-Type: 4,ENCRYPTED\"); a server cannot use it without the password", file, b.Type, b.line)
			return nil
		}
		key, err := parsePrivateKey(b)
		if err != nil {
			c.add(wssv1.ReasonMalformedPEM, "%s: the %s block at line %d does not parse: %s", file, b.Type, b.line, shortErr(err))
			return nil
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			c.add(wssv1.ReasonMalformedPEM, "%s: the %s block at line %d holds a %T, which cannot sign TLS handshakes", file, b.Type, b.line, key)
			return nil
		}
		return signer.Public()
	}
	c.add(wssv1.ReasonMalformedPEM, "%s holds no private key block (found %s)", file, strings.Join(seen, ", "))
	return nil
}

// shortErr is a parse error for a message: encoding/asn1's structure dumps
// say nothing to a user and are replaced.
func shortErr(err error) string {
	s := err.Error()
	if i := strings.Index(s, "asn1:"); i >= 0 {
		return s[:i] + "malformed DER (ASN.1)"
	}
	return s
}

// parsePrivateKey tries PKCS#1, PKCS#8 and SEC1 in crypto/tls's order, and
// reports the error of the parser the block type names.
func parsePrivateKey(b block) (any, error) {
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k, nil
	} else if b.Type == "RSA PRIVATE KEY" {
		return nil, fmt.Errorf("PKCS#1: %w", err)
	}
	if k, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
		return k, nil
	} else if b.Type != "EC PRIVATE KEY" {
		return nil, fmt.Errorf("PKCS#8: %w", err)
	}
	k, err := x509.ParseECPrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("SEC1: %w", err)
	}
	return k, nil
}
