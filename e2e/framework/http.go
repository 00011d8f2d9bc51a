package framework

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// HTTPGet returns the body of http://addr+path, giving up after two seconds.
func HTTPGet(addr, path string) (string, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// WaitHTTP waits until GET http://addr/ answers with a body containing want.
func WaitHTTP(t testing.TB, addr, want string) {
	t.Helper()
	var last string
	var lastErr error
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		last, lastErr = HTTPGet(addr, "/")
		return lastErr == nil && strings.Contains(last, want)
	}), wait.Timeout(15*time.Second), wait.Gap(100*time.Millisecond)),
		must.Sprintf("GET %s: %q, %v", addr, last, lastErr))
}
