package command

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// OperatorRaftRemoveCommand is `nomad operator raft remove-peer`.
type OperatorRaftRemoveCommand struct {
	Meta
}

func (c *OperatorRaftRemoveCommand) Help() string {
	helpText := `
Usage: nomad operator raft remove-peer [options]

  Remove the Nomad server with given -peer-address from the Raft configuration.

  There are rare cases where a peer may be left behind in the Raft quorum even
  though the server is no longer present and known to the cluster. This command
  can be used to remove the failed server so that it no longer affects the Raft
  quorum.

General Options:

  ` + generalOptionsUsage() + `

Remove Peer Options:

  -peer-address="IP:port"
    Remove a Nomad server with given address from the Raft configuration.

  -peer-id="id"
    Remove a Nomad server with the given ID from the Raft configuration.
`
	return strings.TrimSpace(helpText)
}

func (c *OperatorRaftRemoveCommand) Synopsis() string {
	return "Remove a Nomad server from the Raft configuration"
}

func (c *OperatorRaftRemoveCommand) Run(args []string) int {
	var peerAddress, peerID string
	flags := c.Meta.FlagSet("operator raft remove-peer")
	flags.StringVar(&peerAddress, "peer-address", "", "")
	flags.StringVar(&peerID, "peer-id", "", "")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(fmt.Sprintf("Failed to parse args: %v", err))
		return 1
	}
	client, err := c.Meta.Client()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error initializing client: %s", err))
		return 1
	}
	if err := raftRemovePeer(client.Operator(), peerAddress, peerID); err != nil {
		c.Ui.Error(fmt.Sprintf("Failed to remove raft peer: %v", err))
		return 1
	}
	if peerAddress != "" {
		c.Ui.Output(fmt.Sprintf("Removed peer with address %q", peerAddress))
	} else {
		c.Ui.Output(fmt.Sprintf("Removed peer with id %q", peerID))
	}
	return 0
}

// raftRemovePeer removes the peer named by exactly one of address and id.
func raftRemovePeer(op *api.Operator, address, id string) error {
	switch {
	case address == "" && id == "":
		return errors.New("an address or id is required for the peer to remove")
	case address != "" && id != "":
		return errors.New("cannot give both an address and id")
	case address != "":
		return op.RaftRemovePeerByAddress(address, nil)
	default:
		return op.RaftRemovePeerByID(id, nil)
	}
}
