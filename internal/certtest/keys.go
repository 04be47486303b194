package certtest

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/md5" //nolint:gosec // deliberately produces insecure signatures for tests
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
)

// KeyFormat is a private-key PEM encoding.
type KeyFormat string

// Key encodings as openssl and Go write them.
const (
	PKCS1 KeyFormat = "PKCS1" // "RSA PRIVATE KEY" (RSA only)
	SEC1  KeyFormat = "SEC1"  // "EC PRIVATE KEY" (ECDSA only)
	PKCS8 KeyFormat = "PKCS8" // "PRIVATE KEY" (any key)
)

// KeyPEM encodes key as one unencrypted PEM block in format f. It panics when
// f does not fit the key (PKCS1 for a non-RSA key, SEC1 for a non-EC key).
func KeyPEM(key crypto.Signer, f KeyFormat) []byte {
	typ, der := keyDER(key, f)
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// KeyPEMAs is KeyPEM(c.Key, f).
func (c *Cert) KeyPEMAs(f KeyFormat) []byte { return KeyPEM(c.Key, f) }

func keyDER(key crypto.Signer, f KeyFormat) (string, []byte) {
	switch f {
	case PKCS1:
		k, ok := key.(*rsa.PrivateKey)
		if !ok {
			panic(fmt.Sprintf("certtest: PKCS1 needs an RSA key, got %T", key))
		}
		return "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)
	case SEC1:
		k, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			panic(fmt.Sprintf("certtest: SEC1 needs an ECDSA key, got %T", key))
		}
		der, err := x509.MarshalECPrivateKey(k)
		must(err, "marshal EC key")
		return "EC PRIVATE KEY", der
	case PKCS8, "":
		der, err := x509.MarshalPKCS8PrivateKey(key)
		must(err, "marshal PKCS#8 key")
		return "PRIVATE KEY", der
	}
	panic(fmt.Sprintf("certtest: unknown key format %q", f))
}

// LegacyEncryptedKeyPEM encrypts c's key the way `openssl rsa -aes256` and
// old tools do: a PKCS#1 (RSA) or SEC1 (ECDSA) block with "Proc-Type:
// 4,ENCRYPTED" and "DEK-Info" headers (RFC 1423, AES-256-CBC).
func (c *Cert) LegacyEncryptedKeyPEM(password string) []byte {
	f := PKCS8
	switch c.Key.(type) {
	case *rsa.PrivateKey:
		f = PKCS1
	case *ecdsa.PrivateKey:
		f = SEC1
	}
	typ, der := keyDER(c.Key, f)
	//nolint:staticcheck // RFC 1423 encryption is deprecated: producing it is the point.
	b, err := x509.EncryptPEMBlock(rand.Reader, typ, der, []byte(password), x509.PEMCipherAES256)
	must(err, "encrypt PEM block")
	return pem.EncodeToMemory(b)
}

var (
	oidPBES2         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA256    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidAES256CBC     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidMD5WithRSA    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}
	pbkdf2Iterations = 2048
)

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	PRF        pkix.AlgorithmIdentifier
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

// PKCS8EncryptedKeyPEM encrypts c's key as `openssl pkcs8 -topk8 -v2 aes256`
// does: an "ENCRYPTED PRIVATE KEY" block (PKCS#8 EncryptedPrivateKeyInfo,
// PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC). openssl can decrypt it.
func (c *Cert) PKCS8EncryptedKeyPEM(password string) []byte {
	_, plain := keyDER(c.Key, PKCS8)
	salt, iv := make([]byte, 16), make([]byte, aes.BlockSize)
	_, err := rand.Read(salt)
	must(err, "salt")
	_, err = rand.Read(iv)
	must(err, "iv")
	dk, err := pbkdf2.Key(sha256.New, password, salt, pbkdf2Iterations, 32)
	must(err, "pbkdf2")
	block, err := aes.NewCipher(dk)
	must(err, "aes")
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	buf := append(append([]byte(nil), plain...), make([]byte, pad)...)
	for i := len(plain); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)

	kdf, err := asn1.Marshal(pbkdf2Params{
		Salt: salt, Iterations: pbkdf2Iterations,
		PRF: pkix.AlgorithmIdentifier{Algorithm: oidHMACSHA256, Parameters: asn1.NullRawValue},
	})
	must(err, "marshal PBKDF2 params")
	ivDER, err := asn1.Marshal(iv)
	must(err, "marshal IV")
	params, err := asn1.Marshal(pbes2Params{
		KeyDerivationFunc: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdf}},
		EncryptionScheme:  pkix.AlgorithmIdentifier{Algorithm: oidAES256CBC, Parameters: asn1.RawValue{FullBytes: ivDER}},
	})
	must(err, "marshal PBES2 params")
	der, err := asn1.Marshal(encryptedPrivateKeyInfo{
		Algorithm:     pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: params}},
		EncryptedData: buf,
	})
	must(err, "marshal EncryptedPrivateKeyInfo")
	return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der})
}

type certificateASN1 struct {
	TBS       asn1.RawValue
	Algorithm pkix.AlgorithmIdentifier
	Signature asn1.BitString
}

// Resign replaces the signature algorithm of the certificate der (in the TBS
// and the outer structure) with alg and signs it again with key. It exists to
// make certificates crypto/x509 refuses to create; only x509.MD5WithRSA with
// an RSA key is supported.
func Resign(der []byte, key crypto.Signer, alg x509.SignatureAlgorithm) []byte {
	rk, ok := key.(*rsa.PrivateKey)
	if alg != x509.MD5WithRSA || !ok {
		panic(fmt.Sprintf("certtest: Resign supports MD5WithRSA with an RSA key, got %v with %T", alg, key))
	}
	var outer certificateASN1
	_, err := asn1.Unmarshal(der, &outer)
	must(err, "parse certificate DER")
	var elems []asn1.RawValue
	for rest := outer.TBS.Bytes; len(rest) > 0; {
		var v asn1.RawValue
		rest, err = asn1.Unmarshal(rest, &v)
		must(err, "parse TBSCertificate")
		elems = append(elems, v)
	}
	// TBSCertificate: [0] version, serialNumber, signature, issuer, ...
	if len(elems) < 3 || elems[0].Class != asn1.ClassContextSpecific {
		panic("certtest: Resign needs a v3 certificate")
	}
	algID := pkix.AlgorithmIdentifier{Algorithm: oidMD5WithRSA, Parameters: asn1.NullRawValue}
	algDER, err := asn1.Marshal(algID)
	must(err, "marshal algorithm")
	elems[2] = asn1.RawValue{FullBytes: algDER}
	var body []byte
	for _, e := range elems {
		body = append(body, e.FullBytes...)
	}
	tbs, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	must(err, "marshal TBSCertificate")
	sum := md5.Sum(tbs) //nolint:gosec // see package doc
	sig, err := rsa.SignPKCS1v15(rand.Reader, rk, crypto.MD5, sum[:])
	must(err, "sign with MD5")
	out, err := asn1.Marshal(certificateASN1{
		TBS:       asn1.RawValue{FullBytes: tbs},
		Algorithm: algID,
		Signature: asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
	})
	must(err, "marshal certificate")
	return out
}
