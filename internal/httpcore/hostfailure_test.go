package httpcore

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestHostFailuresAreNotRetried checks that a host that cannot be right
// fails on the first attempt (issue 22), and that what may pass is still
// retried. The DNS cases are the errors net.Dialer returns, from a test
// transport: no network is used.
func TestHostFailuresAreNotRetried(t *testing.T) {
	dialErr := func(err error) roundTripFunc {
		return func(*http.Request) (*http.Response, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: err}
		}
	}
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(plain.Close)
	quiet := log.New(io.Discard, "", 0) // the servers' handshake errors are expected
	selfSigned := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	selfSigned.Config.ErrorLog = quiet
	selfSigned.StartTLS()
	t.Cleanup(selfSigned.Close)
	// A server that only speaks TLS 1.3 refuses a TLS 1.2 client with an
	// alert.
	tls13 := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tls13.TLS = &tls.Config{MinVersion: tls.VersionTLS13}
	tls13.Config.ErrorLog = quiet
	tls13.StartTLS()
	t.Cleanup(tls13.Close)
	tls12Client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{MaxVersion: tls.VersionTLS12, InsecureSkipVerify: true}}}

	tests := []struct {
		name     string
		client   *http.Client
		url      string
		attempts int64
		host     bool
	}{
		{"a name that does not resolve", &http.Client{Transport: dialErr(&net.DNSError{Err: "no such host", Name: "no-such-host.invalid", IsNotFound: true})},
			"https://no-such-host.invalid/x", 1, true},
		{"a DNS server that did not answer is retried", &http.Client{Transport: dialErr(&net.DNSError{Err: "server misbehaving", Name: "api.example", IsTemporary: true})},
			"https://api.example/x", 4, false},
		{"a refused connection is retried", &http.Client{Transport: dialErr(syscall.ECONNREFUSED)},
			"https://api.example/x", 4, false},
		{"a reset is retried", &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, syscall.ECONNRESET })},
			"https://api.example/x", 4, false},
		{"a certificate the client does not trust", &http.Client{}, selfSigned.URL + "/x", 1, true},
		{"a plain-http server asked for https", &http.Client{}, strings.Replace(plain.URL, "http://", "https://", 1) + "/x", 1, true},
		{"a refused TLS handshake", tls12Client, tls13.URL + "/x", 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var waits []time.Duration
			c := testClient(&waits)
			c.HTTP = tt.client
			_, err := c.Do(t.Context(), &Request{Method: "GET", URL: tt.url, Path: "/x"})
			if err == nil {
				t.Fatal("no error")
			}
			if n := c.Stats().Requests; n != tt.attempts {
				t.Errorf("%d attempts, want %d (err %v)", n, tt.attempts, err)
			}
			if got := HostFailure(err); got != tt.host {
				t.Errorf("HostFailure(%v) = %v, want %v", err, got, tt.host)
			}
		})
	}
	if HostFailure(errors.New("GET /x: attempt timed out after 30s")) {
		t.Error("a timeout is a host failure")
	}
}
