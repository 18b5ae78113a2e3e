#!/bin/bash
# t7300-netcfg: network interfaces through the engine (netcfg.c, via tests/helpers/net-tool):
# the list, DHCP with busybox udhcpc (as `udhcpc` and as `busybox udhcpc`) and with ISC
# dhclient against a real dnsmasq, the "no DHCP server" and "no cable" failures, the static
# set-up and its checks. Two network namespaces made here (server and client) joined by a
# veth pair; every namespace and process is removed at exit, also when a check fails.
. "$(dirname "$0")/lib/tap.sh"
NT=$HELPERS/net-tool
make_scratch; D=$SCRATCH
trap 'exit 130' INT TERM # run the cleanups on ^C too

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v dnsmasq >/dev/null; then
	skip "needs root, ip and dnsmasq (tests/install-deps.sh installs dnsmasq-base)"
	done_testing; exit
fi
NS=cc-nt-$$ S=cc-nt-$$-s C=cc-nt-$$-c
if ! ip netns add "$S" 2>/dev/null; then
	skip "network namespaces are not available here"
	done_testing; exit
fi
at_exit "ip netns del $S"
ip netns add "$C"; at_exit "ip netns del $C"
ip link add "$NS-s" type veth peer name "$NS-c" # names are per namespace once moved
ip link set "$NS-s" netns "$S" && ip link set "$NS-c" netns "$C"
ok $? "a veth pair between two new namespaces"
SIF=$NS-s CIF=$NS-c # at most 15 characters: cc-nt-<pid>-c
ip -n "$S" addr add 10.123.0.1/24 dev "$SIF"
ip -n "$S" link set "$SIF" up
export CLONECAST_RESOLV_CONF=$D/resolv.conf TMPDIR=$D
inc() { ip netns exec "$C" "$@"; } # run in the client's namespace

# PATH directories holding ip and one DHCP client each (the engine looks for udhcpc, then
# busybox with its udhcpc applet, then dhclient)
mkbin() { mkdir -p "$D/$1"; ln -s "$(command -v ip)" "$D/$1/ip"; }
mkbin bin-none
if command -v busybox >/dev/null && busybox --list | grep -qx udhcpc; then
	mkbin bin-udhcpc; ln -s "$(command -v busybox)" "$D/bin-udhcpc/udhcpc"
	mkbin bin-busybox; ln -s "$(command -v busybox)" "$D/bin-busybox/busybox"
fi
if command -v dhclient >/dev/null; then mkbin bin-dhclient; ln -s "$(command -v dhclient)" "$D/bin-dhclient/dhclient"; fi

DNSMASQ_PID=
start_dnsmasq() {
	: > "$D/dnsmasq.log"
	# --no-ping: dnsmasq pings a new address before offering it, which costs the client its
	# first DISCOVER (a 2-3 s retry) and would hide a slow start of ours
	ip netns exec "$S" dnsmasq --no-daemon --conf-file=/dev/null --user=root --port=0 --no-ping \
		--interface="$SIF" --bind-interfaces --dhcp-range=10.123.0.50,10.123.0.60,255.255.255.0 \
		--dhcp-option=3,10.123.0.1 --dhcp-option=6,10.123.0.1,10.123.0.2 \
		--dhcp-boot=pxelinux.0,,10.123.0.1 --pid-file="$D/dnsmasq.pid" \
		--dhcp-leasefile="$D/dnsmasq.leases" >"$D/dnsmasq.log" 2>&1 &
	DNSMASQ_PID=$!
	local i
	for i in $(seq 50); do grep -q 'DHCP, sockets bound' "$D/dnsmasq.log" && return 0; sleep 0.1; done
	return 1
}
stop_dnsmasq() {
	[ -n "$DNSMASQ_PID" ] || return 0
	kill "$DNSMASQ_PID" 2>/dev/null; wait "$DNSMASQ_PID" 2>/dev/null; DNSMASQ_PID=
}
at_exit stop_dnsmasq # runs before the namespaces go

# ---- the list ----
out=$(inc "$NT" list 2>&1)
mac=$(ip -n "$C" -o link show "$CIF" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
is "$out" "$CIF $mac -1 -" "list: the one interface, its MAC, carrier unknown while down, no address"
if ip -n "$C" link add cc-dummy0 type dummy 2>/dev/null; then
	ip -n "$C" link set cc-dummy0 up
	is "$(inc "$NT" list | cut -d' ' -f1 | tr '\n' ' ')" "$CIF " "list: lo and a dummy interface are left out"
	ip -n "$C" link del cc-dummy0
else
	skip "no dummy interfaces here"
fi

# ---- DHCP ----
start_dnsmasq; ok $? "dnsmasq is serving DHCP in the server's namespace" # not in $(...): keeps its pid

# dhcp_ok NAME BINDIR: a lease through the client in BINDIR, applied and described
dhcp_ok() {
	local name=$1 bin=$2 out t0 t1
	rm -f "$CLONECAST_RESOLV_CONF"
	t0=$(date +%s%N)
	out=$(inc env PATH="$D/$bin" "$NT" dhcp "$CIF" 10 2>&1); ok $? "$name: lease obtained"
	t1=$(date +%s%N)
	diag "$name: $(( (t1 - t0) / 1000000 )) ms"
	ok $([ $(( (t1 - t0) / 1000000 )) -lt 3000 ] && echo 0 || echo 1) "$name: in less than 3 s (no lost first DISCOVER)"
	local addr
	addr=$(printf '%s\n' "$out" | sed -n 's/^addr=//p')
	ok $([[ "$addr" =~ ^10\.123\.0\.(5[0-9]|60)/24$ ]] && echo 0 || echo 1) "$name: address from the range, /24 ($addr)"
	is "$(printf '%s\n' "$out" | grep -v '^addr=' | tr '\n' ' ')" \
		"gateway=10.123.0.1 dns=10.123.0.1 server=10.123.0.1 next_server=10.123.0.1 " \
		"$name: gateway, first DNS, server and PXE next server"
	is "$(ip -n "$C" -o -4 addr show dev "$CIF" | awk '{print $4}' | tr '\n' ' ')" "$addr " \
		"$name: the interface has that address, and only it"
	is "$(ip -n "$C" route show default)" "default via 10.123.0.1 dev $CIF " "$name: default route set"
	is "$(grep -v '^#' "$CLONECAST_RESOLV_CONF" 2>/dev/null | tr '\n' ' ')" \
		"nameserver 10.123.0.1 nameserver 10.123.0.2 " "$name: both name servers in \$CLONECAST_RESOLV_CONF"
	is "$(inc "$NT" list)" "$CIF $mac 1 $addr" "$name: listed with link and address"
	is "$(ls -d "$D"/clonecast-dhcp.* 2>/dev/null)" "" "$name: temporary directory removed"
}
# running (not zombie) dhclient processes on our interface
dhclients() {
	local p
	for p in $(pgrep -x dhclient); do
		[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && grep -qa "$CIF" "/proc/$p/cmdline" 2>/dev/null && echo "$p"
	done
}
at_exit 'for p in $(dhclients); do kill $p; done'

if [ -d "$D/bin-udhcpc" ]; then
	dhcp_ok "udhcpc" bin-udhcpc
	ip -n "$C" addr add 10.99.0.9/16 dev "$CIF"
	dhcp_ok "busybox udhcpc, again on a configured interface" bin-busybox
else
	skip "busybox with udhcpc is not installed"
fi
if [ -d "$D/bin-dhclient" ]; then
	dhcp_ok "dhclient" bin-dhclient
	sleep 0.2
	is "$(dhclients)" "" "dhclient: no daemon left behind"
else
	skip "dhclient (isc-dhcp-client) is not installed"
fi
check_fails "no DHCP client installed: says which package to install" \
	"NOTFOUND: no DHCP client is installed: install the Debian package 'busybox'" \
	inc env PATH="$D/bin-none" "$NT" dhcp "$CIF" 4
check_fails "an interface that does not exist" "NOTFOUND: there is no network interface nope0" \
	inc "$NT" dhcp nope0 4

# ---- no DHCP server: TIMEOUT after the time asked for ----
stop_dnsmasq
for bin in bin-busybox bin-dhclient; do
	[ -d "$D/$bin" ] || { skip "$bin: client not installed"; continue; }
	t0=$(date +%s%N)
	check_fails "${bin#bin-}: no DHCP server: TIMEOUT that says what to check" \
		"TIMEOUT: no answer from a DHCP server on $CIF within 3 s: check the cable" \
		inc env PATH="$D/$bin" "$NT" dhcp "$CIF" 3
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	ok $([ $ms -ge 2500 ] && [ $ms -lt 7000 ] && echo 0 || echo 1) "${bin#bin-}: gave up after about 3 s ($ms ms)"
	is "$(ls -d "$D"/clonecast-dhcp.* 2>/dev/null)" "" "${bin#bin-}: temporary directory removed after the failure"
done

# ---- no cable: the peer is down ----
ip -n "$S" link set "$SIF" down
is "$(inc "$NT" list | cut -d' ' -f3)" 0 "list: carrier 0 without a peer"
t0=$(date +%s%N)
check_fails "no cable: CONNECT naming the interface" "CONNECT: no network cable on $CIF \(no link\)" \
	inc "$NT" dhcp "$CIF" 10
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok $([ $ms -ge 4500 ] && [ $ms -lt 7000 ] && echo 0 || echo 1) "no cable: said after waiting 5 s for the link ($ms ms)"
ip -n "$S" link set "$SIF" up

# ---- static ----
ip -n "$C" link set "$CIF" down
rm -f "$CLONECAST_RESOLV_CONF"
check "static: address, gateway and two name servers" inc "$NT" static "$CIF" 10.123.0.77/24 10.123.0.1 "10.123.0.1, 192.0.2.53"
is "$(ip -n "$C" -o -4 addr show dev "$CIF" | awk '{print $4}' | tr '\n' ' ')" "10.123.0.77/24 " "static: the address, and only it"
is "$(ip -n "$C" -o link show "$CIF" | grep -c '[<,]UP[,>]')" 1 "static: interface brought up"
is "$(ip -n "$C" route show default)" "default via 10.123.0.1 dev $CIF " "static: default route"
is "$(grep -v '^#' "$CLONECAST_RESOLV_CONF" | tr '\n' ' ')" "nameserver 10.123.0.1 nameserver 192.0.2.53 " "static: resolv.conf"
# a TCP connection to a closed port: "refused" means the client's kernel answered
check_fails "static: the client answers at the new address" "Connection refused" \
	ip netns exec "$S" timeout 5 bash -c 'exec 3<>/dev/tcp/10.123.0.77/9'
is "$(ip -n "$S" neigh show 10.123.0.77 dev "$SIF" | awk '{print $3}')" "$mac" "static: with the client's MAC address"
rm -f "$CLONECAST_RESOLV_CONF"
check "static: without gateway and DNS" inc "$NT" static "$CIF" 10.123.0.78/24 "" ""
is "$(ip -n "$C" route show default)" "" "static: no default route without a gateway"
ok $([ ! -e "$CLONECAST_RESOLV_CONF" ] && echo 0 || echo 1) "static: resolv.conf untouched without DNS"
check_fails "static: address without prefix refused" "BAD_ARGS: '10.0.0.5' is not an IPv4 address with a prefix length" \
	inc "$NT" static "$CIF" 10.0.0.5 "" ""
check_fails "static: prefix 33 refused" "BAD_ARGS: .*write it like 192.168.1.20/24" inc "$NT" static "$CIF" 10.0.0.5/33 "" ""
check_fails "static: gateway outside the network refused" "BAD_ARGS: the gateway 10.1.0.1 is not in the network of 10.0.0.5/24" \
	inc "$NT" static "$CIF" 10.0.0.5/24 10.1.0.1 ""
check_fails "static: bad gateway refused" "BAD_ARGS: '10.0.0.300' is not an IPv4 address" inc "$NT" static "$CIF" 10.0.0.5/24 10.0.0.300 ""
check_fails "static: bad name server refused" "BAD_ARGS: 'bogus' is not a name server address" \
	inc "$NT" static "$CIF" 10.0.0.5/24 10.0.0.1 bogus
is "$(ip -n "$C" -o -4 addr show dev "$CIF" | awk '{print $4}')" "10.123.0.78/24" "static: refused set-ups changed nothing"
check_fails "static: an interface that does not exist" "NOTFOUND: there is no network interface nope0" \
	inc "$NT" static nope0 10.0.0.5/24 "" ""

done_testing
