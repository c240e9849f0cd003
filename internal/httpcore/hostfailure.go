package httpcore

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
)

// HostFailure reports whether err says the host itself is wrong, so that
// asking again cannot help: its name does not resolve (DNS "no such
// host"), it refused the TLS handshake or does not speak TLS, or its
// certificate was refused. Timeouts, resets and a DNS server that did not
// answer are not host failures: they pass.
func HostFailure(err error) bool {
	if err == nil {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.IsNotFound
	}
	var (
		cve      *tls.CertificateVerificationError
		header   tls.RecordHeaderError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		op       *net.OpError
	)
	switch {
	case errors.As(err, &cve), errors.As(err, &header), errors.As(err, &unknown),
		errors.As(err, &hostname), errors.As(err, &invalid):
		return true
	case errors.As(err, &op) && op.Op == "remote error":
		// A TLS alert from the server: it refused the handshake.
		return true
	}
	// net/http replaces the RecordHeaderError of a plain-http server with
	// this message, wrapping nothing.
	return strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}
