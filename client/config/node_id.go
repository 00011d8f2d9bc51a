package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
)

// Files under StateDir that keep the node's identity across restarts.
const (
	NodeIDFile     = "node-id"
	NodeSecretFile = "secret-id"
)

// LoadOrCreateNodeID returns the configured node ID, or the one persisted in
// <StateDir>/node-id, creating and persisting a new one if there is none. In
// DevMode a new ID is returned and nothing is written.
func (c *Config) LoadOrCreateNodeID() (string, error) {
	if c.NodeID != "" {
		return c.NodeID, nil
	}
	return c.loadOrCreateUUID(NodeIDFile)
}

// LoadOrCreateNodeSecret returns the node's secret ID, persisted like the node ID
// in <StateDir>/secret-id (fresh and unpersisted in DevMode).
func (c *Config) LoadOrCreateNodeSecret() (string, error) {
	return c.loadOrCreateUUID(NodeSecretFile)
}

func (c *Config) loadOrCreateUUID(file string) (string, error) {
	if c.DevMode {
		return uuid.NewString(), nil
	}
	path := filepath.Join(c.StateDir, file)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		id := strings.TrimSpace(string(b))
		if _, perr := uuid.Parse(id); perr != nil {
			return "", fmt.Errorf("failed to parse %s in %q: %w", file, path, perr)
		}
		return id, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("failed to read %s from %q: %w", file, path, err)
	}
	if err := os.MkdirAll(c.StateDir, 0o700); err != nil {
		return "", fmt.Errorf("failed to create state dir %q: %w", c.StateDir, err)
	}
	id := uuid.NewString()
	if err := os.WriteFile(path, []byte(id), 0o600); err != nil {
		return "", fmt.Errorf("failed to write %s to %q: %w", file, path, err)
	}
	return id, nil
}
