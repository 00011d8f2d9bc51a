package network

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	cnitypes "github.com/containernetworking/cni/pkg/types"
	"github.com/hashicorp/go-hclog"
)

// Retry policy for known-transient failures of the CNI chain and iptables.
const (
	retryAttempts = 3
	retryBaseWait = 250 * time.Millisecond
)

// transientMarkers are the known-transient failures: the xtables lock, EAGAIN
// from netlink or nftables, a netlink dump interrupted by a concurrent change,
// and two ADDs racing to create the bridge or its address.
var transientMarkers = []string{
	"resource temporarily unavailable",
	"xtables lock",
	"holding the xtables lock",
	"dump interrupted",
	"could not add IP address to",
	"try again",
}

// isTransient reports whether err is worth retrying.
func isTransient(err error) bool {
	if err == nil {
		return false
	}
	var cniErr *cnitypes.Error
	if errors.As(err, &cniErr) && cniErr.Code == cnitypes.ErrTryAgainLater {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, m := range transientMarkers {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// retryTransient calls fn up to retryAttempts times while it fails with a
// transient error, waiting 250ms, 500ms (+ up to 100% jitter) in between and
// logging each failed attempt. before, if not nil, runs before every retry (to
// undo a half-done attempt). It stops early when ctx is done.
func retryTransient(ctx context.Context, logger hclog.Logger, what string, fn func() error, before func()) error {
	var err error
	for attempt := 1; ; attempt++ {
		if err = fn(); err == nil || !isTransient(err) || attempt >= retryAttempts {
			return err
		}
		wait := retryBaseWait * time.Duration(attempt)
		wait += time.Duration(rand.Int64N(int64(wait)))
		logger.Warn("transient failure, retrying", "step", what, "attempt", attempt, "wait", wait, "error", err)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return errors.Join(err, ctx.Err())
		case <-timer.C:
		}
		if before != nil {
			before()
		}
	}
}
