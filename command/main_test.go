package command

import (
	"os"
	"testing"
	"time"
)

// TestMain pins the local zone so that printed timestamps are stable.
func TestMain(m *testing.M) {
	time.Local = time.UTC
	os.Exit(m.Run())
}
