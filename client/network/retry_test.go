package network

import (
	"context"
	"errors"
	"fmt"
	"testing"

	cnitypes "github.com/containernetworking/cni/pkg/types"
	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"
)

func TestIsTransient(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("Another app is currently holding the xtables lock; still 4s 100000us time ahead to have a chance to grab the lock..."), true},
		{fmt.Errorf("plugin type=\"portmap\" failed (add): %w", errors.New("netlink receive: resource temporarily unavailable")), true},
		{&cnitypes.Error{Code: cnitypes.ErrTryAgainLater, Msg: "busy"}, true},
		{errors.New("failed to find plugin \"does-not-exist\" in path [/opt/cni/bin]"), false},
		{&cnitypes.Error{Code: cnitypes.ErrInvalidNetworkConfig, Msg: "bad"}, false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.err), func(t *testing.T) {
			must.Eq(t, tc.want, isTransient(tc.err))
		})
	}
}

func TestRetryTransient(t *testing.T) {
	transient := errors.New("resource temporarily unavailable")
	permanent := errors.New("no such plugin")
	cases := []struct {
		name      string
		errs      []error // returned by successive calls; nil after the list
		wantCalls int
		wantErr   error
	}{
		{name: "success", errs: nil, wantCalls: 1},
		{name: "transient then success", errs: []error{transient}, wantCalls: 2},
		{name: "permanent is not retried", errs: []error{permanent}, wantCalls: 1, wantErr: permanent},
		{name: "bounded", errs: []error{transient, transient, transient, transient}, wantCalls: retryAttempts, wantErr: transient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls, undos := 0, 0
			err := retryTransient(context.Background(), hclog.NewNullLogger(), "test", func() error {
				calls++
				if calls <= len(tc.errs) {
					return tc.errs[calls-1]
				}
				return nil
			}, func() { undos++ })
			must.Eq(t, tc.wantCalls, calls)
			must.Eq(t, tc.wantCalls-1, undos)
			if tc.wantErr == nil {
				must.NoError(t, err)
			} else {
				must.ErrorIs(t, err, tc.wantErr)
			}
		})
	}

	t.Run("stops when the context is done", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		calls := 0
		err := retryTransient(ctx, hclog.NewNullLogger(), "test", func() error { calls++; return transient }, nil)
		must.Eq(t, 1, calls)
		must.ErrorIs(t, err, context.Canceled)
	})
}
