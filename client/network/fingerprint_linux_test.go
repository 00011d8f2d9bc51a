package network

import (
	"testing"

	"github.com/shoenig/test/must"
)

func TestBridgeSupported(t *testing.T) {
	// Every machine this project runs on can make bridges (the e2e suites do).
	must.True(t, BridgeSupported())
}
