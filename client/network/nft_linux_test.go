package network

import (
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

// a `nft -a list ruleset` excerpt as the plugins' nftables backends leave it,
// next to an iptables-nft table that must never be touched.
const nftListing = `table ip filter { # handle 1
	chain INPUT { # handle 1
		type filter hook input priority filter; policy accept;
		ip daddr 172.26.64.2 counter packets 0 bytes 0 accept # handle 9
	}
}
table ip cni_hostport { # handle 7
	comment "CNI portmap plugin"
	chain hostports { # handle 2
		tcp dport 28080 dnat to 172.26.64.2:8080 comment "11111111-1111-1111-1111-111111111111" # handle 11
		udp dport 28080 dnat to 172.26.64.2:8080 comment "11111111-1111-1111-1111-111111111111" # handle 12
		tcp dport 28081 dnat to 172.26.64.3:8080 comment "22222222-2222-2222-2222-222222222222" # handle 13
	}
	chain masquerading { # handle 6
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 172.26.64.2 ip daddr 172.26.64.2 masquerade comment "11111111-1111-1111-1111-111111111111" # handle 14
	}
}
table inet cni_plugins_masquerade { # handle 8
	chain masq_checks { # handle 2
		ip saddr 172.26.64.2 ip daddr != 172.26.64.0/20 masquerade comment "4e3a0a7a-0c2f9d8e6d3b1a2c, net: nomad, if: eth0, id: 11111111-1111-1111-1111-111111111111" # handle 5
		ip saddr 172.26.64.9 ip daddr != 172.26.64.0/20 masquerade comment "5f00aa00-0c2f9d8e6d3b1a2d, net: nomad, if: eth0, id: 99999999-9999-9999-9999-999999999999" # handle 6
	}
}
`

func TestNFTCleanupBatch(t *testing.T) {
	const one = "11111111-1111-1111-1111-111111111111"
	cases := []struct {
		name  string
		match nftRuleMatcher
		want  string
	}{
		{
			name:  "by id: portmap and masquerade rules, never iptables-nft tables",
			match: nftByIDs(map[string]bool{one: true}, nil),
			want: "delete rule ip cni_hostport hostports handle 11\n" +
				"delete rule ip cni_hostport hostports handle 12\n" +
				"delete rule ip cni_hostport masquerading handle 14\n" +
				"delete rule inet cni_plugins_masquerade masq_checks handle 5\n",
		},
		{
			name:  "by ip: the dnat target and the masquerade source",
			match: nftByIDs(nil, map[string]bool{"172.26.64.9": true, "172.26.64.3": true}),
			want: "delete rule ip cni_hostport hostports handle 13\n" +
				"delete rule inet cni_plugins_masquerade masq_checks handle 6\n",
		},
		{
			name:  "nothing",
			match: nftByIDs(map[string]bool{"33333333-3333-3333-3333-333333333333": true}, nil),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, n := nftCleanupBatch(nftListing, tc.match)
			must.Eq(t, tc.want, got)
			must.Eq(t, len(splitNonEmpty(tc.want)), n)
		})
	}
}

func splitNonEmpty(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
