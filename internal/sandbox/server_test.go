package sandbox

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHTTPServerTimeouts: HTTPServer closes the connections of clients that
// stall, whatever the phase: before the headers end, in the middle of a
// body, or idle between requests.
func TestHTTPServerTimeouts(t *testing.T) {
	s, _ := newTestServer(t, Options{ReadTimeout: 100 * time.Millisecond, IdleTimeout: 100 * time.Millisecond})
	srv := s.HTTPServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	tests := []struct {
		name, send string
		wantStatus string // status line the server sends before closing, if any
	}{
		{"nothing sent", "", ""},
		{"headers never end", "POST /v1/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n", ""},
		{"headers then a stalled body", "POST /v1/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"serviceName\":", "HTTP/1.1 400 Bad Request"},
		{"idle after a request", "GET /v1/regions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n\r\n", "HTTP/1.1 200 OK"},
	}
	t.Run("stall", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				conn, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				if _, err := io.WriteString(conn, tt.send); err != nil {
					t.Fatal(err)
				}
				// Only a bound for a hang: the server closes long before.
				conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				got, err := io.ReadAll(conn)
				if errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatal("the server kept the stalled connection open")
				}
				if status, _, _ := strings.Cut(string(got), "\r\n"); status != tt.wantStatus {
					t.Errorf("status line %q before the close, want %q", status, tt.wantStatus)
				}
			})
		}
	})
	if got := s.Requests(); len(got) != 2 {
		t.Errorf("requests handled: %v", got)
	}
}

// TestRequestLogOneLine: a request path is logged as sent, escapes kept,
// so that %0A in it cannot start a log line of its own.
func TestRequestLogOneLine(t *testing.T) {
	var lines []string
	s, _ := newTestServer(t, Options{Logf: func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }})
	req := httptest.NewRequest("GET", "/v1/agents/a%0Asandbox:%20forged%0D", nil)
	req.Header.Set("Authorization", "Bearer k")
	s.ServeHTTP(httptest.NewRecorder(), req)
	if len(lines) != 1 || strings.ContainsAny(lines[0], "\r\n") || !strings.HasPrefix(lines[0], "GET /v1/agents/a%0Asandbox:%20forged%0D 404 ") {
		t.Errorf("logged %q, want one line with the path as sent", lines)
	}
}
