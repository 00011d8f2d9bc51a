package network

import (
	"os"
	"testing"

	"github.com/shoenig/test/must"
)

func TestBridgeSupported(t *testing.T) {
	_, err := os.Stat("/sys/module/bridge")
	if err != nil {
		t.Skip("bridge module not loaded on this machine")
	}
	must.True(t, BridgeSupported())
}
