#!/bin/bash
# t7350-live-session: `clonecast live`, the console session of the live medium, with the options
# of a boot menu (a kernel command line in a file) and --no-wizard, in two network namespaces
# made here and joined by a veth pair: dnsmasq serves DHCP and TFTP (the PXE server) on one side.
# DHCP, a fixed address, the password fetched by TFTP from the boot server (tftp:///) into a
# private file and handed to the command with --password-file, a job that runs only once per
# boot, and the failures an operator must be told about: no DHCP answer, a missing password
# file, a bad option.
. "$(dirname "$0")/lib/tap.sh"
make_scratch; D=$SCRATCH
CC=$CLONECAST
export HOME=$D/home
mkdir -p "$HOME" "$D/repo" "$D/tftp/clonecast"

if [ "$(id -u)" -ne 0 ] || ! command -v dnsmasq >/dev/null || ! command -v busybox >/dev/null ||
	! ip netns add cc-l7-$$-s 2>/dev/null; then
	skip "needs root, dnsmasq, busybox and network namespaces"; done_testing; exit
fi
S=cc-l7-$$-s C=cc-l7-$$-c SIF=l7s$$ CIF=l7c$$
at_exit "ip netns del $S"
ip netns add $C; at_exit "ip netns del $C"
ip link add $SIF type veth peer name $CIF
ip link set $SIF netns $S; ip link set $CIF netns $C
ip -n $S addr add 10.125.0.1/24 dev $SIF; ip -n $S link set $SIF up
ip -n $C link set lo up
printf 'pxe secret 7350\n' >"$D/tftp/clonecast/pw"
ip netns exec $S dnsmasq --no-daemon --conf-file=/dev/null --user=root --port=0 --no-ping \
	--interface=$SIF --bind-interfaces --dhcp-range=10.125.0.50,10.125.0.59,255.255.255.0 \
	--dhcp-option=3,10.125.0.1 --dhcp-option=6,10.125.0.1 --enable-tftp --tftp-root="$D/tftp" \
	--pid-file="$D/dnsmasq.pid" --dhcp-leasefile="$D/leases" >"$D/dnsmasq.log" 2>&1 &
DNSMASQ=$!
at_exit "kill $DNSMASQ"
for _ in $(seq 50); do grep -q 'sockets bound' "$D/dnsmasq.log" && break; sleep 0.1; done

# live NAME CMDLINE: run the session (state in $D/NAME) with stdin closed; output in $D/NAME.out
live() {
	local name=$1
	shift
	printf '%s\n' "$*" >"$D/$name.cmdline"
	ip netns exec $C env CLONECAST_RESOLV_CONF="$D/resolv.conf" "$CC" live --cmdline "$D/$name.cmdline" \
		--state-dir "$D/$name" --no-wizard </dev/null >"$D/$name.out" 2>&1
}
out() { cat "$D/$1.out"; }

# --- DHCP, the password by TFTP, a command ---
PXE="BOOT_IMAGE=clonecast/vmlinuz ip=10.125.0.99:10.125.0.1:10.125.0.1:255.255.255.0"
live dhcp "$PXE quiet clonecast.net=dhcp clonecast.repo=$D/repo clonecast.password=tftp:///clonecast/pw" \
	"clonecast.run=\"list -b\" clonecast.after=poweroff"
is $? 0 "DHCP, password by TFTP, 'list -b': exit 0"
ok $(ip -n $C -4 addr show $CIF | grep -q "inet 10.125.0.5" && echo 0 || echo 1) "  the card got an address from dnsmasq"
ok $(grep -q "Network: $CIF has the address 10.125.0.5" "$D/dhcp.out" && echo 0 || echo 1) "  and says which"
ok $(ip -n $C route | grep -q "default via 10.125.0.1" && echo 0 || echo 1) "  the default route"
ok $(grep -q "nameserver 10.125.0.1" "$D/resolv.conf" 2>/dev/null && echo 0 || echo 1) "  the name server"
is "$(cat "$D/dhcp/password" 2>/dev/null)" "pxe secret 7350" "  the password came from the boot server (tftp:///)"
is "$(stat -c %a "$D/dhcp/password" 2>/dev/null)" 600 "  into a file only root can read"
ok $(grep -q "Running: clonecast list -r $D/repo --password-file $D/dhcp/password -b" "$D/dhcp.out" && echo 0 || echo 1) \
	"  the command line shown, with -r and --password-file, without the password"
ok $(grep -q "pxe secret" "$D/dhcp.out" && echo 1 || echo 0) "  the password is not on the screen"
ok $(grep -q "finished successfully" "$D/dhcp.out" && echo 0 || echo 1) "  'finished successfully'"

live dhcp "$PXE quiet clonecast.net=dhcp clonecast.repo=$D/repo clonecast.run=\"list -b\""
ok $(grep -q "Running:" "$D/dhcp.out" && echo 1 || echo 0) "the session restarted: the job does not run twice in one boot"

# --- a fixed address ---
ip -n $C -4 addr flush dev $CIF
live static "clonecast.net=10.125.0.9/24 clonecast.gateway=10.125.0.1 clonecast.dns=10.125.0.1" \
	"clonecast.iface=$CIF clonecast.run=\"list -b -r $D/repo\""
is $? 0 "a fixed address: exit 0"
ok $(ip -n $C -4 addr show $CIF | grep -q "inet 10.125.0.9/24" && echo 0 || echo 1) "  the card has 10.125.0.9/24"
ok $(ip -n $C route | grep -q "default via 10.125.0.1" && echo 0 || echo 1) "  and the default route"
ok $(grep -q "Running: clonecast list -b -r $D/repo" "$D/static.out" && echo 0 || echo 1) "  -r in the command is kept, not doubled"
ok $(ip netns exec $C busybox ping -c1 -W2 10.125.0.1 >/dev/null && echo 0 || echo 1) "  the server answers a ping"

# --- failures ---
live badopt "clonecast.after=halt clonecast.run=\"list -b -r $D/repo\""
is $? 1 "a bad option: exit 1"
ok $(grep -q "clonecast.after=halt" "$D/badopt.out" && grep -q "not used" "$D/badopt.out" && echo 0 || echo 1) \
	"  names the option and says the boot options are not used"
ok $(grep -q "Running:" "$D/badopt.out" && echo 1 || echo 0) "  nothing runs"

live unknown "clonecast.colour=yes clonecast.net=off clonecast.run=\"list -b -r $D/repo\""
is $? 0 "an unknown option: still runs"
ok $(grep -q "unknown option clonecast.colour (ignored)" "$D/unknown.out" && echo 0 || echo 1) "  and is reported"

live nopw "$PXE clonecast.net=10.125.0.9/24 clonecast.password=tftp:///clonecast/missing clonecast.run=\"list -b -r $D/repo\""
is $? 1 "a password file the server does not have: exit 1"
ok $(grep -q "the password: cannot fetch tftp:///clonecast/missing" "$D/nopw.out" && echo 0 || echo 1) "  says which file"
ok $(grep -q "was not run" "$D/nopw.out" && echo 0 || echo 1) "  and that the command was not run"
ok $(grep -q "Running:" "$D/nopw.out" && echo 1 || echo 0) "  nothing runs"

ip -n $C -4 addr flush dev $CIF
ip -n $S link set $SIF down
live nodhcp "clonecast.net=dhcp clonecast.run=\"list -b -r $D/repo\""
is $? 1 "no DHCP answer (the server's side is down): exit 1"
ok $(grep -Eqi "no network cable|no answer" "$D/nodhcp.out" && echo 0 || echo 1) "  a clear message"
ok $(grep -q "was not run" "$D/nodhcp.out" && echo 0 || echo 1) "  and the command was not run"
[ $_tap_fail -eq 0 ] || for f in "$D"/*.out; do sed "s|^|# $(basename "$f"): |" "$f"; done
done_testing
