#!/bin/bash
# t9000-mcast: multicast restore with the real udp-sender/udp-receiver, in network namespaces made
# here (a bridge with multicast snooping off, one sender, three receivers; 10.77.0.x only inside
# them): a whole-disk image with two partitions restored to three disk files at once, zstd and
# uncompressed, all identical to the source; a receiver killed in the middle while the others
# finish (the sender says it dropped it); 1% packet loss on one receiver (nftables in its
# namespace) and a target too small on another; a late receiver (nothing written in a single
# round, the whole disk in the next round); damaged and cut streams; a missing or incomplete
# image; no sender; no udpcast; "start now" with Enter. Every namespace and process is removed
# at exit, also when a check fails.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/diskimg.sh"
. "$TOP/tests/lib/tmux.sh"
make_scratch; D=$SCRATCH
CC=$CLONECAST
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v udp-sender >/dev/null ||
	! command -v udp-receiver >/dev/null; then
	skip "needs root, ip and udpcast (tests/install-deps.sh installs udpcast)"
	done_testing; exit
fi
. "$TOP/tests/lib/mcnet.sh"
NS=cc-mc-$$
at_exit "mcnet_down $NS"
if ! mcnet_up "$NS" 3; then
	skip "network namespaces are not available here"
	done_testing; exit
fi
declare -A ADDR=([s]=10.77.0.1 [r1]=10.77.0.11 [r2]=10.77.0.12 [r3]=10.77.0.13)
is "$(ip -n "$NS-sw" -o link show master br0 | grep -c 'state UP')" 4 \
	"a bridge, a sender and three receivers in new namespaces (four ports up)"
is "$(ip -n "$NS-r2" -4 -o addr show dev eth0 | awk '{print $4, $6}')" "${ADDR[r2]}/24 10.77.0.255" \
	"  a receiver's address exists only in its namespace, with a broadcast address"

# ---- the image: a whole disk with two partitions, saved twice ---------------------------------
diskimg_make "$D/src.img" small t9000 && diskimg_manifest "$D/src.img" "$D/src.m"
ok $? "a 64 MiB disk image with an ext4 and an NTFS partition (mkfs.ext4, mkntfs)"
mkdir -p "$D/repo"
check "saved with zstd" "$CC" savedisk -q -b -r "$D/repo" img-zst "$D/src.img"
check "saved uncompressed (-z none)" "$CC" savedisk -q -b -z none -r "$D/repo" img-raw "$D/src.img"

PIDS=()
at_exit 'for p in "${PIDS[@]}"; do kill -9 $p; done'
# client N TARGET LOG [ARGS...]: restoredisk --multicast in receiver N, in the background (CPID)
client() {
	local n=$1 t=$2 log=$3
	shift 3
	ip netns exec "$NS-r$n" timeout -k 5 120 "$CC" restoredisk -b --multicast --progress plain \
		"$@" "$t" >"$log" 2>&1 &
	CPID[n]=$!
	PIDS+=($!)
}
# serve LOG [ARGS...]: mcast-serve in the sender, in the background (SPID)
serve() {
	local log=$1
	shift
	ip netns exec "$NS-s" timeout -k 5 120 "$CC" mcast-serve -b -r "$D/repo" --progress plain \
		"$@" >"$log" 2>&1 &
	SPID=$!
	PIDS+=($!)
}
# rc PID: its exit status, in RC (wait in this shell: a $(...) subshell cannot wait for it)
rc() { wait "$1"; RC=$?; }
# expect PID STATUS NAME LOG: the process ends with STATUS; its log shown if not
expect() {
	rc "$1"
	is "$RC" "$2" "$3"
	[ "$RC" = "$2" ] || show log "$4" 12
}
# has FILE PATTERN NAME: FILE matches the extended regex
has() {
	if grep -Eq -- "$2" "$1"; then ok 0 "$3"; else ok 1 "$3"; show "${1##*/}" "$1"; fi
}
target() { rm -f "$1"; truncate -s "${2:-64M}" "$1"; }
same() { diskimg_manifest "$1" "$1.m" 2>/dev/null && cmp -s "$D/src.m" "$1.m"; }
untouched() { [ "$(du -k "$1" | cut -f1)" = 0 ]; } # still all holes: nothing was written
# wait_for FILE PATTERN [SECS]: until FILE matches the extended regex
wait_for() {
	local i
	for ((i = 0; i < ${3:-30} * 10; i++)); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "# wait_for: /$2/ not in $1 after ${3:-30}s:"; sed 's/^/#   | /' "$1" | tail -8
	return 1
}
show() { echo "# $1:"; sed 's/^/#   | /' "$2" | tail -"${3:-8}"; }

# ---- three clients at once, zstd ----------------------------------------------------------------
for n in 1 2 3; do target "$D/z$n.img"; client $n "$D/z$n.img" "$D/z$n.log" --timeout 60; done
serve "$D/serve-z.log" --clients 3 img-zst
expect $SPID 0 "zstd: the sender sent the image to three clients (exit 0)" "$D/serve-z.log"
is "$(grep -c "round 1  finished" "$D/serve-z.log")" 3 "  and says all three finished"
for n in 1 2 3; do
	expect ${CPID[n]} 0 "  client $n: restored (exit 0)" "$D/z$n.log"
	same "$D/z$n.img"; ok $? "  client $n: its disk is identical to the source (table, files, ids)"
done
diskimg_fsck "$D/z1.img" >/dev/null 2>&1; ok $? "  its filesystems check clean (e2fsck, ntfsfix -n)"
has "$D/z1.log" "image 'img-zst' arrives from ${ADDR[s]}" "  the client says which image arrived and from where"
has "$D/z1.log" "restoring 100.0%" "  its progress ends at 100%"
diag "zstd round done at ${SECONDS}s"

# ---- uncompressed ---------------------------------------------------------------------------
for n in 1 2 3; do target "$D/r$n.img"; client $n "$D/r$n.img" "$D/r$n.log" --timeout 60; done
serve "$D/serve-r.log" --clients 3 img-raw
expect $SPID 0 "uncompressed: sent to three clients" "$D/serve-r.log"
for n in 1 2 3; do
	expect ${CPID[n]} 0 "  client $n: restored" "$D/r$n.log"
	same "$D/r$n.img"; ok $? "  client $n: identical to the source"
done
diag "uncompressed round done at ${SECONDS}s"

# ---- a client killed in the middle ------------------------------------------------------------
for n in 1 2 3; do target "$D/k$n.img"; client $n "$D/k$n.img" "$D/k$n.log" --timeout 60; done
serve "$D/serve-k.log" --clients 3 --drop-after 2 --max-bitrate 20m img-raw
wait_for "$D/serve-k.log" "sending to 3" 30 && sleep 1.5
mcnet_kill "$NS-r2" # the computer is switched off: clonecast and its udp-receiver are gone
t0=$SECONDS
expect $SPID 3 "killed client: the sender finishes the others (exit 3: not everyone)" "$D/serve-k.log"
diag "sender done $((SECONDS - t0)) s after the kill"
has "$D/serve-k.log" "${ADDR[r2]} +round 1  dropped" "  it lists ${ADDR[r2]} as dropped"
has "$D/serve-k.log" "2 of 3 client\(s\) received all of it" "  and says two of three received everything"
for n in 1 3; do
	expect ${CPID[n]} 0 "  client $n: restored anyway" "$D/k$n.log"
	same "$D/k$n.img"; ok $? "  client $n: identical to the source"
	has "$D/serve-k.log" "${ADDR[r$n]} +round 1  finished" "  the sender lists ${ADDR[r$n]} as finished"
done
is "$(ip netns pids "$NS-r2" | wc -l)" 0 "  nothing of the killed client runs on"
diag "killed-client round done at ${SECONDS}s"

# ---- 1% packet loss on client 3; client 2's disk is too small ----------------------------------
if command -v nft >/dev/null && ip netns exec "$NS-r3" nft add table inet ccloss 2>/dev/null &&
	ip netns exec "$NS-r3" nft add chain inet ccloss in '{ type filter hook input priority 0; policy accept; }' &&
	ip netns exec "$NS-r3" nft add rule inet ccloss in meta l4proto udp numgen random mod 100 == 0 counter drop; then
	target "$D/l1.img"; target "$D/l2.img" 32M; target "$D/l3.img"
	for n in 1 2 3; do client $n "$D/l$n.img" "$D/l$n.log" --timeout 60; done
	serve "$D/serve-l.log" --clients 3 img-zst
	expect $SPID 3 "loss: the sender finishes (exit 3: one client left)" "$D/serve-l.log"
	lost=$(ip netns exec "$NS-r3" nft list table inet ccloss | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	ok "$([ "${lost:-0}" -gt 0 ]; echo $?)" "  nftables dropped ${lost:-0} of client 3's packets"
	expect ${CPID[3]} 0 "  client 3 (1% loss): restored" "$D/l3.log"
	same "$D/l3.img"; ok $? "  client 3: identical to the source"
	expect ${CPID[1]} 0 "  client 1: restored" "$D/l1.log"
	same "$D/l1.img"; ok $? "  client 1: identical to the source"
	expect ${CPID[2]} 1 "  client 2 (32 MiB disk): refused" "$D/l2.log"
	has "$D/l2.log" "target disk .* has .* bytes .* nothing was written" \
		"  because the disk is too small, before writing anything"
	untouched "$D/l2.img"; ok $? "  its disk is untouched"
	has "$D/serve-l.log" "${ADDR[r2]} +round 1  left before the end" "  the sender says ${ADDR[r2]} left, and went on"
	ip netns exec "$NS-r3" nft delete table inet ccloss
else
	skip "nftables is not installed (or not usable here): no packet loss test"
fi
diag "loss round done at ${SECONDS}s"

# ---- a late client: nothing from a round it missed; the whole disk in the next one --------------
target "$D/a1.img"; target "$D/a2.img"; target "$D/a3.img"
client 1 "$D/a1.img" "$D/a1.log" --timeout 60
client 2 "$D/a2.img" "$D/a2.log" --timeout 60
serve "$D/serve-a.log" --clients 2 --max-bitrate 40m img-raw
wait_for "$D/serve-a.log" "sending to 2" 30 && sleep 1
client 3 "$D/a3.img" "$D/a3.log" --timeout 5
expect $SPID 0 "late client, one round: the two in time got it" "$D/serve-a.log"
ok "$(grep -q "${ADDR[r3]}" "$D/serve-a.log"; [ $? = 1 ]; echo $?)" "  the late one never joined that round"
expect ${CPID[3]} 1 "  the late client gives up after its --timeout" "$D/a3.log"
has "$D/a3.log" "no sender started a transfer within 5 s; nothing was written" "  saying nothing was written"
untouched "$D/a3.img"; ok $? "  and its disk is untouched"
for n in 1 2; do rc ${CPID[n]}; same "$D/a$n.img"; ok $? "  client $n: identical"; done

target "$D/b1.img"; target "$D/b2.img"; target "$D/b3.img"
client 1 "$D/b1.img" "$D/b1.log" --timeout 60
client 2 "$D/b2.img" "$D/b2.log" --timeout 60
serve "$D/serve-b.log" --clients 2 --max-wait 2 --rounds 2 --max-bitrate 40m img-raw
wait_for "$D/serve-b.log" "round 1 of 2: sending" 30 && sleep 1
client 3 "$D/b3.img" "$D/b3.log" --timeout 60
expect $SPID 0 "late client, two rounds: everyone got it" "$D/serve-b.log"
has "$D/serve-b.log" "${ADDR[r3]} +round 2  finished" "  the late one in round 2"
expect ${CPID[3]} 0 "  the late client restored" "$D/b3.log"
same "$D/b3.img"; ok $? "  its disk is identical to the source"
for n in 1 2; do rc ${CPID[n]}; same "$D/b$n.img"; ok $? "  client $n (round 1): identical"; done
diag "late-client rounds done at ${SECONDS}s"

# ---- start now: Enter on the server's terminal ------------------------------------------------
if command -v tmux >/dev/null; then
	target "$D/e1.img"
	tmux_start 120 12 ip netns exec "$NS-s" "$CC" mcast-serve -r "$D/repo" img-zst
	tmux_wait "waiting for clients, 0 joined" 30
	ok $? "start now: the server waits (no --clients: for the time or Enter)"
	client 1 "$D/e1.img" "$D/e1.log" --timeout 60
	tmux_wait "1 joined, starts in 4:[0-9]{2} - Enter starts now" 30
	ok $? "  a client joined: Enter is offered, it would start by itself in 5 minutes"
	tmux_keys Enter
	tmux_wait "1 of 1 client\(s\) received all of it" 30; ok $? "  Enter: it starts at once and ends"
	rc ${CPID[1]}; is "$RC" 0 "  the client restored"
	same "$D/e1.img"; ok $? "  identical to the source"
	tmux_stop
else
	skip "tmux is not installed: no start-now test"
fi

# ---- damaged and cut streams (no network: the stream from a file) --------------------------------
check "the stream of an image written to a file (--output)" "$CC" mcast-serve -q -b -r "$D/repo" \
	--output "$D/s.bin" img-zst
off=$(grep -abo CCMCSECT "$D/s.bin" | sed -n 2p | cut -d: -f1)
ok "$([ -n "$off" ]; echo $?)" "  two sections (the partitions), the second at byte $off"
target "$D/f.img"
check "  restored from the file (--multicast-stream)" "$CC" restoredisk -q -b --multicast-stream "$D/s.bin" "$D/f.img"
same "$D/f.img"; ok $? "  identical to the source"
target "$D/f.img"
check "  restored from standard input (--multicast-stream -)" \
	sh -c "'$CC' restoredisk -q -b --multicast-stream - '$D/f.img' <'$D/s.bin'"
same "$D/f.img"; ok $? "  identical to the source"
cp "$D/s.bin" "$D/bad1.bin"; flip_byte "$D/bad1.bin" 100
target "$D/f.img"
check_fails "a damaged header: refused" "bad1.bin: its header does not match its checksum.*nothing was written" \
	"$CC" restoredisk -q -b --multicast-stream "$D/bad1.bin" "$D/f.img"
untouched "$D/f.img"; ok $? "  nothing written"
cp "$D/s.bin" "$D/bad2.bin"; flip_byte "$D/bad2.bin" $((off + 40))
check_fails "the second section's heading damaged: refused, naming it" \
	"partition sda2: .*section 2 \(sda2.ntfs-ptcl-img.zst\): its heading does not match.*the target is incomplete" \
	"$CC" restoredisk -q -b --multicast-stream "$D/bad2.bin" "$D/f.img"
size=$(stat -c %s "$D/s.bin")
cp "$D/s.bin" "$D/bad3.bin"; flip_byte "$D/bad3.bin" $((size - 100))
check_fails "a byte of the last section's data changed: refused" \
	"(section 2 \(sda2.ntfs-ptcl-img.zst\): its bytes do not match|checksum|corrupt)" \
	"$CC" restoredisk -q -b --multicast-stream "$D/bad3.bin" "$D/f.img"
head -c $((off + 5000)) "$D/s.bin" >"$D/cut.bin"
check_fails "a stream cut short: TRUNCATED, the disk is incomplete" \
	"ended inside section 2 \(sda2.ntfs-ptcl-img.zst\).*cut short; the target is incomplete: restore it again" \
	"$CC" restoredisk -q -b --multicast-stream "$D/cut.bin" "$D/f.img"
head -c 1000 /dev/urandom >"$D/junk.bin"
check_fails "something else: not a multicast stream" "is not a Clonecast multicast stream" \
	"$CC" restoredisk -q -b --multicast-stream "$D/junk.bin" "$D/f.img"

# ---- a sender without an image, a client without a sender -------------------------------------
check_fails "mcast-serve of an image that does not exist" "image nope not found in $D/repo" \
	ip netns exec "$NS-s" "$CC" mcast-serve -b -r "$D/repo" nope
is "$(ip netns pids "$NS-s" | wc -l)" 0 "  before any network activity (no udp-sender)"
mkdir "$D/repo/half" && cp "$D/repo/img-zst"/* "$D/repo/half/" && rm "$D/repo/half/"sda2.*
check_fails "mcast-serve of an incomplete image" "image 'half' is incomplete.*it cannot be sent" \
	ip netns exec "$NS-s" "$CC" mcast-serve -b -r "$D/repo" half
mkdir -p "$D/nobin"
check_fails "mcast-serve without udpcast: says what to install" \
	"udp-sender is not installed: install the Debian package 'udpcast'" \
	env PATH="$D/nobin" "$CC" mcast-serve -b -r "$D/repo" img-zst
check_fails "a client without udpcast: says what to install" \
	"udp-receiver is not installed: install the Debian package 'udpcast'" \
	env PATH="$D/nobin" "$CC" restoredisk -b --multicast "$D/f.img"
target "$D/n.img"
t0=$(date +%s%N)
check_fails "a client with no sender: TIMEOUT after --timeout" \
	"no sender started a transfer within 2 s; nothing was written" \
	ip netns exec "$NS-r1" "$CC" restoredisk -b --multicast --timeout 2 "$D/n.img"
ms=$((($(date +%s%N) - t0) / 1000000))
ok "$([ "$ms" -ge 1900 ] && [ "$ms" -lt 6000 ]; echo $?)" "  after about 2 s ($ms ms)"
untouched "$D/n.img"; ok $? "  nothing written"
is "$(ip netns pids "$NS-r1" | wc -l)" 0 "  its udp-receiver is gone"
check_fails "restoredisk --multicast without a terminal and without -b: refused" "add -b" \
	sh -c "'$CC' restoredisk --multicast '$D/n.img' </dev/null"

done_testing
