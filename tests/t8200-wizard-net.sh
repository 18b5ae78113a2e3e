#!/bin/bash
# t8200-wizard-net: the wizard's network screen on a real (virtual) network: two namespaces made
# here joined by a veth pair, dnsmasq serving DHCP with a next-server on one side, the wizard
# (not in demo mode, which never touches the network) on the other.  DHCP gets an address that
# is shown, the DHCP next-server becomes the default SSH server; a fixed address; no cable.
# The wizard is left at the repository screen: no disk is listed or touched.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/tmux.sh"
make_scratch; D=$SCRATCH
CC=$CLONECAST
export HOME=$D/home LANG=C.UTF-8 LC_ALL= LANGUAGE=
mkdir -p "$HOME"

if [ "$(id -u)" -ne 0 ] || ! command -v dnsmasq >/dev/null || ! ip netns add cc-w8-$$-s 2>/dev/null; then
	skip "needs root, dnsmasq and network namespaces"; done_testing; exit
fi
S=cc-w8-$$-s C=cc-w8-$$-c SIF=w8s$$ CIF=w8c$$
at_exit "ip netns del $S"
ip netns add $C; at_exit "ip netns del $C"
ip link add $SIF type veth peer name $CIF
ip link set $SIF netns $S; ip link set $CIF netns $C
ip -n $S addr add 10.124.0.1/24 dev $SIF; ip -n $S link set $SIF up
ip netns exec $S dnsmasq --no-daemon --conf-file=/dev/null --user=root --port=0 --no-ping \
	--interface=$SIF --bind-interfaces --dhcp-range=10.124.0.50,10.124.0.59,255.255.255.0 \
	--dhcp-option=3,10.124.0.1 --dhcp-option=6,10.124.0.1 --dhcp-boot=pxelinux.0,,10.124.0.7 \
	--pid-file="$D/dnsmasq.pid" --dhcp-leasefile="$D/leases" >"$D/dnsmasq.log" 2>&1 &
DNSMASQ=$!
at_exit "kill $DNSMASQ"
for _ in $(seq 50); do grep -q 'sockets bound' "$D/dnsmasq.log" && break; sleep 0.1; done

wiz() { tmux_start 80 25 ip netns exec $C env CLONECAST_RESOLV_CONF="$D/resolv.conf" "$CC" --lang en; }
to_network() {
	tmux_wait "What to do" 30 && tmux_keys Enter &&
		tmux_wait "Image repository" && tmux_keys Enter &&  # an SSH server (the default)
		tmux_wait "Which network card"
}

# --- DHCP ---
wiz
to_network; ok $? "SSH server chosen: the network screen comes first"
ok $(grep -q "$CIF" <<<"$TMUX_LAST" && echo 0 || echo 1) "  lists the network card with its MAC and link"
tmux_keys Enter
tmux_wait "Automatic \(DHCP\)"; ok $? "  DHCP offered first"
tmux_keys Enter
tmux_wait "has the address" 30; ok $? "DHCP: the address it got is shown"
ok $(grep -q "10.124.0.5[0-9]/24" <<<"$TMUX_LAST" && grep -q "10.124.0.1" <<<"$TMUX_LAST" && echo 0 || echo 1) \
	"  address, gateway and DHCP server"
ok $(ip -n $C -4 addr show $CIF | grep -q "inet 10.124.0.5" && echo 0 || echo 1) "  the card really has it"
ok $(ip -n $C route | grep -q "default via 10.124.0.1" && echo 0 || echo 1) "  and the default route"
ok $(grep -q "nameserver 10.124.0.1" "$D/resolv.conf" 2>/dev/null && echo 0 || echo 1) "  and the DNS server"
tmux_keys Enter
tmux_wait "SSH server"; ok $? "then the SSH server form"
ok $(grep -q "10.124.0.7" <<<"$TMUX_LAST" && echo 0 || echo 1) "  with the DHCP next-server as the default server"
tmux_stop

# --- a fixed address ---
ip -n $C -4 addr flush dev $CIF
wiz
to_network >/dev/null; tmux_keys Enter
tmux_wait "Automatic"; tmux_keys Down Enter
tmux_wait "Fixed address for this computer"; ok $? "fixed address: the form"
tmux_keys -l 10.124.0.9/24; tmux_keys Down; tmux_keys -l 10.124.0.1; tmux_keys Down; tmux_keys -l 10.124.0.1; tmux_keys Enter
tmux_wait "SSH server"; ok $? "  then the SSH server form"
ok $(ip -n $C -4 addr show $CIF | grep -q "inet 10.124.0.9/24" && echo 0 || echo 1) "  the card has 10.124.0.9/24"
# a TCP connection to the server side, which tells the address it came from
ip netns exec $S timeout 10 python3 -c 'import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.124.0.1", 7777)); s.listen(1); c, a = s.accept(); c.sendall(a[0].encode())' &
sleep 0.5
peer=$(ip netns exec $C timeout 5 bash -c 'exec 3<>/dev/tcp/10.124.0.1/7777; cat <&3' 2>/dev/null)
is "$peer" "10.124.0.9" "  and reaches the server from that address"
tmux_stop

# --- no cable ---
ip -n $C -4 addr flush dev $CIF
ip -n $S link set $SIF down
wiz
to_network >/dev/null
ok $(grep -q "no cable" <<<"$TMUX_LAST" && echo 0 || echo 1) "no cable: the card says so in the list"
tmux_keys Enter; tmux_wait "Automatic"; tmux_keys Enter
tmux_wait "cable" 30; ok $(grep -qi "no network cable" <<<"$TMUX_LAST" && echo 0 || echo 1) "  DHCP: a clear 'no cable' message"
tmux_keys Enter
tmux_wait "Which network card"; ok $? "  and back to the list"
tmux_stop
done_testing
