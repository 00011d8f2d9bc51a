package servers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Defaults of Config.
const (
	// DefaultWait is the long-poll wait of GetAllocs (Nomad's default blocking wait).
	DefaultWait = 5 * time.Minute
	// DefaultRequestTimeout bounds one non-blocking request to one server.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultAttempts is how many rounds over the server list a call makes
	// before it gives up (the client's loops retry further with their own backoff).
	DefaultAttempts = 3
	defaultRetryMin = 100 * time.Millisecond
	defaultRetryMax = 2 * time.Second
)

// ErrPermissionDenied is wrapped by calls the servers refused with 403 (the
// node's secret does not match the one its ID was registered with).
var ErrPermissionDenied = errors.New("permission denied")

// Config configures a Client.
type Config struct {
	// Servers are the servers' HTTP addresses ("host:port" or URLs), tried in order.
	Servers []string
	// Logger is required.
	Logger hclog.Logger
	// HTTPClient is the transport (default: a fresh http.Client without timeout;
	// requests are bounded by their contexts).
	HTTPClient *http.Client
	// Wait is the long-poll wait asked of the servers by GetAllocs (default DefaultWait).
	Wait time.Duration
	// RequestTimeout bounds one non-blocking request (default DefaultRequestTimeout).
	RequestTimeout time.Duration
	// Attempts is the number of rounds over the server list (default DefaultAttempts).
	Attempts int
	// RetryMin and RetryMax bound the backoff between rounds.
	RetryMin, RetryMax time.Duration
}

// Client implements client.ServerAPI over HTTP. It remembers the server that
// answered last and moves to the next one on a transport error or a 5xx. The
// node's secret is learnt from RegisterNode and sent with every later call.
// All methods are safe for concurrent use.
type Client struct {
	cfg     Config
	servers []*url.URL
	logger  hclog.Logger

	mu      sync.Mutex
	current int
	secrets map[string]string
}

// New validates cfg and returns a client for its servers.
func New(cfg Config) (*Client, error) {
	if len(cfg.Servers) == 0 {
		return nil, errors.New("no servers to talk to: client { servers = [...] } is empty")
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Wait <= 0 {
		cfg.Wait = DefaultWait
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = defaultRetryMin
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(defaultRetryMax, cfg.RetryMin)
	}
	c := &Client{cfg: cfg, logger: cfg.Logger, secrets: map[string]string{}}
	for _, s := range cfg.Servers {
		u, err := parseServer(s)
		if err != nil {
			return nil, err
		}
		c.servers = append(c.servers, u)
	}
	return c, nil
}

// DefaultPort is the port of a server address given without one: the servers'
// HTTP port, which is what clients talk to (Nomad's clients default to the RPC
// port 4647; ours use HTTP).
const DefaultPort = "4646"

// parseServer accepts "host", "host:port" or an http(s) URL. A bare host gets
// DefaultPort; a URL is used as written (its scheme's port when it names none,
// e.g. a TLS proxy on 443).
func parseServer(s string) (*url.URL, error) {
	raw := s
	bare := !strings.Contains(raw, "://")
	if bare {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("invalid server address %q", s)
	}
	if bare && u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), DefaultPort)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// SetSecret sets the secret sent for nodeID (RegisterNode does this too).
func (c *Client) SetSecret(nodeID, secret string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.secrets[nodeID] = secret
}

func (c *Client) secret(nodeID string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.secrets[nodeID]
}

// RegisterNode creates or updates the node on the servers.
func (c *Client) RegisterNode(ctx context.Context, node *structs.Node) error {
	if node == nil || node.ID == "" {
		return errors.New("cannot register a node without an ID")
	}
	if node.SecretID != "" {
		c.SetSecret(node.ID, node.SecretID)
	}
	_, err := c.do(ctx, request{method: http.MethodPut, path: "register", nodeID: node.ID, body: node})
	if err != nil {
		return fmt.Errorf("failed to register node %q: %w", node.ID, err)
	}
	return nil
}

// Heartbeat tells the servers the node is alive and returns their TTL.
func (c *Client) Heartbeat(ctx context.Context, nodeID string) (time.Duration, error) {
	var resp HeartbeatResponse
	_, err := c.do(ctx, request{method: http.MethodPut, path: url.PathEscape(nodeID) + "/heartbeat", nodeID: nodeID, out: &resp})
	if err != nil {
		return 0, fmt.Errorf("failed to heartbeat node %q: %w", nodeID, err)
	}
	return resp.HeartbeatTTL, nil
}

// GetAllocs long-polls the node's allocations: the servers answer once they
// changed past minIndex or after Wait, with the index of what they return.
func (c *Client) GetAllocs(ctx context.Context, nodeID string, minIndex uint64) ([]*structs.Allocation, uint64, error) {
	q := url.Values{}
	q.Set("index", strconv.FormatUint(minIndex, 10))
	q.Set("wait", c.cfg.Wait.String())
	var allocs []*structs.Allocation
	index, err := c.do(ctx, request{
		method: http.MethodGet, path: url.PathEscape(nodeID) + "/allocations", query: q,
		nodeID: nodeID, out: &allocs,
		// The server adds up to wait/16 of jitter.
		timeout: c.cfg.Wait + c.cfg.Wait/16 + c.cfg.RequestTimeout,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("failed to get allocations of node %q: %w", nodeID, err)
	}
	return allocs, index, nil
}

// UpdateAllocs reports client-side allocation fields; every allocation must be on
// the same node (their NodeID).
func (c *Client) UpdateAllocs(ctx context.Context, allocs []*structs.Allocation) error {
	if len(allocs) == 0 {
		return nil
	}
	nodeID := allocs[0].NodeID
	for _, a := range allocs {
		if a.NodeID != nodeID {
			return fmt.Errorf("allocation updates for several nodes (%q, %q)", nodeID, a.NodeID)
		}
	}
	_, err := c.do(ctx, request{method: http.MethodPut, path: url.PathEscape(nodeID) + "/allocations", nodeID: nodeID, body: allocs})
	if err != nil {
		return fmt.Errorf("failed to update allocations: %w", err)
	}
	return nil
}

// request is one call of the internal node protocol.
type request struct {
	method string
	path   string // below PathPrefix
	query  url.Values
	nodeID string
	body   any
	out    any
	// timeout bounds one attempt (default cfg.RequestTimeout).
	timeout time.Duration
}

// statusError is a response with a non-2xx status.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("unexpected response code %d (%s)", e.code, e.msg)
}

func (e *statusError) Unwrap() error {
	switch e.code {
	case http.StatusNotFound:
		return structs.ErrNotFound
	case http.StatusForbidden:
		return ErrPermissionDenied
	}
	return nil
}

// transient reports whether another server (or a later try) may succeed.
func transient(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return se.code >= 500 || se.code == http.StatusTooManyRequests
	}
	return true // transport errors
}

// do sends req to the current server, moving on to the next one on a transient
// failure; after a full round it backs off, for cfg.Attempts rounds. It returns
// the response's X-Nomad-Index.
func (c *Client) do(ctx context.Context, req request) (uint64, error) {
	var body []byte
	if req.body != nil {
		var err error
		if body, err = json.Marshal(req.body); err != nil {
			return 0, fmt.Errorf("failed to encode request: %w", err)
		}
	}
	backoff := time.Duration(0)
	var lastErr error
	for round := 0; round < c.cfg.Attempts; round++ {
		if round > 0 {
			backoff = min(max(backoff*2, c.cfg.RetryMin), c.cfg.RetryMax)
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return 0, errors.Join(ctx.Err(), lastErr)
			case <-t.C:
			}
		}
		for range c.servers {
			c.mu.Lock()
			i := c.current
			c.mu.Unlock()
			index, err := c.once(ctx, c.servers[i], req, body)
			if err == nil {
				return index, nil
			}
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if !transient(err) {
				return 0, err
			}
			lastErr = err
			c.logger.Debug("server request failed; trying the next server", "server", c.servers[i].Host, "error", err)
			c.mu.Lock()
			if c.current == i {
				c.current = (i + 1) % len(c.servers)
			}
			c.mu.Unlock()
		}
	}
	return 0, lastErr
}

// once sends req to one server.
func (c *Client) once(ctx context.Context, server *url.URL, req request, body []byte) (uint64, error) {
	timeout := req.timeout
	if timeout <= 0 {
		timeout = c.cfg.RequestTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u := *server
	u.Path += PathPrefix + req.path
	u.RawQuery = req.query.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, u.String(), rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	hreq.Header.Set(NodeSecretHeader, c.secret(req.nodeID))
	resp, err := c.cfg.HTTPClient.Do(hreq)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, &statusError{code: resp.StatusCode, msg: strings.TrimSpace(string(msg))}
	}
	var index uint64
	if v := resp.Header.Get(IndexHeader); v != "" {
		if index, err = strconv.ParseUint(v, 10, 64); err != nil {
			return 0, fmt.Errorf("invalid %s %q from %s", IndexHeader, v, server.Host)
		}
	}
	if req.out != nil {
		if err := json.NewDecoder(resp.Body).Decode(req.out); err != nil {
			return 0, fmt.Errorf("failed to decode response from %s: %w", server.Host, err)
		}
	}
	return index, nil
}
