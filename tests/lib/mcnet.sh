# shellcheck shell=bash
# mcnet.sh - a private network for multicast tests and benchmarks, only inside network
# namespaces made here: a bridge (NAME-sw, multicast snooping off: no IGMP querier here, so
# multicast floods every port), one sender NAME-s (10.77.0.1) and receivers NAME-r1..NAME-rN
# (10.77.0.11, .12, ...), each with a veth "eth0" to the bridge. Nothing outside is touched.
#
#   . tests/lib/mcnet.sh
#   mcnet_up NAME N [RATE]   make the namespaces; RATE (tc units: 1gbit, 100mbit): a tbf limit on
#                            every link in both directions (a switch with links of that speed)
#   mcnet_down NAME          kill what runs in them, remove them (call it at exit)
#   mcnet_addr HOST          the address of s, r1, r2, ...
#   mcnet_kill NAME-HOST     kill -9 everything that runs in that namespace (a computer unplugged)
# mcnet_up returns 1 (after removing what it made) when namespaces are not available.
mcnet_addr() {
	case $1 in
	s) echo 10.77.0.1 ;;
	r*) echo "10.77.0.$((10 + ${1#r}))" ;;
	esac
}

mcnet_kill() { ip netns pids "$1" 2>/dev/null | xargs -r kill -9 2>/dev/null; }

# processes first (udp-sender/udp-receiver run in sessions of their own), then the namespace
_mcnet_gone() { mcnet_kill "$1"; ip netns del "$1" 2>/dev/null; }

mcnet_down() {
	local n
	for n in $(ip netns list | awk -v p="$1-" 'index($1, p) == 1 { print $1 }'); do
		_mcnet_gone "$n"
	done
}

# _mcnet_tbf NS DEV RATE: shape DEV's egress (burst for about 1 ms at RATE, queue 20 ms)
_mcnet_tbf() {
	ip netns exec "$1" tc qdisc replace dev "$2" root tbf rate "$3" burst 256kb latency 20ms
}

mcnet_up() {
	local name=$1 n=$2 rate=${3:-} h i
	ip netns add "$name-sw" 2>/dev/null || return 1
	{
		ip -n "$name-sw" link add br0 type bridge &&
			ip -n "$name-sw" link set br0 type bridge mcast_snooping 0 &&
			ip -n "$name-sw" link set br0 up
	} || { mcnet_down "$name"; return 1; }
	for ((i = 0; i <= n; i++)); do
		if [ "$i" = 0 ]; then h=s; else h=r$i; fi
		{
			ip netns add "$name-$h" &&
				ip link add "mcx$h" netns "$name-$h" type veth peer name "p$h" netns "$name-sw" &&
				ip -n "$name-$h" link set "mcx$h" name eth0 &&
				ip -n "$name-sw" link set "p$h" master br0 up &&
				# brd +: udp-receiver says hello to the interface's broadcast address
				ip -n "$name-$h" addr add "$(mcnet_addr "$h")/24" brd + dev eth0 &&
				ip -n "$name-$h" link set eth0 up && ip -n "$name-$h" link set lo up &&
				ip -n "$name-$h" route add 224.0.0.0/4 dev eth0 &&
				{ [ -z "$rate" ] || { _mcnet_tbf "$name-$h" eth0 "$rate" &&
					_mcnet_tbf "$name-sw" "p$h" "$rate"; }; }
		} || { mcnet_down "$name"; return 1; }
	done
}
