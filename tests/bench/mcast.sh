#!/bin/bash
# tests/bench/mcast.sh - `make bench-mcast`: restoring N = 1, 3, 8 clients at once by multicast
# (clonecast mcast-serve and restoredisk --multicast over the real udp-sender/udp-receiver), in
# network namespaces made here (tests/lib/mcnet.sh: a bridge, veth links shaped with tc tbf to
# simulate 1 Gbit/s and 100 Mbit/s switch ports). Prints the time of each N and its ratio to
# N = 1 (target: at most 1.2), and checks every restored disk against the source.
#
#   BENCH_MCAST_LINKS="1gbit:900m 100mbit:90m"   link rate (tc) : udp-sender --max-bitrate
#   BENCH_MCAST_NS="1 3 8"       client counts
#   BENCH_MCAST_LAYOUT=gpt       the source disk (tests/lib/diskimg.sh: gpt = 162 MiB, four
#                                partitions; small = 64 MiB)
#   BENCH_MCAST_Z=zstd           the image's compression (savedisk -z: zstd, gzip, none)
#   BENCH_MCAST_VERIFY=1         compare every restored disk with the source (0: skip)
#   BENCH_STRICT=1               exit 1 when a ratio is above 1.2 (default: report only)
#   CLONECAST=path               the binary (default ./clonecast)
#   BENCH_OUT=path               the table (default build/bench-mcast-results.txt)
#
# Time of one run: from starting mcast-serve (the N clients already wait) until the last client
# has restored and verified its disk. Every client's disk is a file in tmpfs, and all clients,
# the sender and the "switch" share this machine's CPUs: CPU% (how busy all CPUs were during the
# run) near 100 means the run measured the CPUs, not the network (real clients each have their
# own). MB/s: the stream's bytes per second of the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LINKS=${BENCH_MCAST_LINKS:-1gbit:900m 100mbit:90m}
COUNTS=${BENCH_MCAST_NS:-1 3 8}
LAYOUT=${BENCH_MCAST_LAYOUT:-gpt}
Z=${BENCH_MCAST_Z:-zstd}
VERIFY=${BENCH_MCAST_VERIFY:-1}
BENCH_STRICT=${BENCH_STRICT:-}
CLONECAST=${CLONECAST:-$ROOT/clonecast}
OUT=${BENCH_OUT:-$ROOT/build/bench-mcast-results.txt}
TARGET=1.2

die() { echo "bench-mcast: $*" >&2; exit 2; }
say() { echo "bench-mcast: $*" >&2; }
[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, loop devices)"
[ -x "$CLONECAST" ] || die "build first: make clonecast"
for c in ip tc udp-sender udp-receiver sfdisk mkntfs mkfs.ext4; do
	command -v "$c" >/dev/null 2>&1 || die "$c not found: run tests/install-deps.sh"
done
max=0
for n in $COUNTS; do
	[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "BENCH_MCAST_NS: '$n' is not a client count"
	[ "$n" -gt "$max" ] && max=$n
done

. "$ROOT/tests/lib/tap.sh" # at_exit, make_scratch
trap 'set +e; _tap_cleanup' EXIT
. "$ROOT/tests/lib/diskimg.sh"
. "$ROOT/tests/lib/mcnet.sh"
make_scratch
D=$SCRATCH
NS=cc-bm-$$
at_exit "mcnet_down $NS"

say "the source disk ($LAYOUT) and its image (-z $Z)"
diskimg_make "$D/src.img" "$LAYOUT" bench
[ "$VERIFY" = 0 ] || diskimg_manifest "$D/src.img" "$D/src.m"
mkdir "$D/repo"
"$CLONECAST" savedisk -q -b -z "$Z" -r "$D/repo" img "$D/src.img"
SIZE=$(stat -c %s "$D/src.img")
STREAM=$(du -cb "$D/repo/img" | tail -1 | cut -f1)

# busy and total jiffies of every CPU so far (/proc/stat)
cpu_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }

# one_run LINK_RATE MAX_BITRATE N: restores N disks at once; prints seconds and how busy the
# machine's CPUs were meanwhile (percent)
one_run() {
	local rate=$1 br=$2 n=$3 i t0 t1 bad=0
	local -a pids=()
	for ((i = 1; i <= n; i++)); do
		rm -f "$D/t$i.img"
		truncate -s "$SIZE" "$D/t$i.img"
		ip netns exec "$NS-r$i" timeout -k 5 600 "$CLONECAST" restoredisk -b --multicast -q \
			--timeout 120 "$D/t$i.img" >"$D/c$i.log" 2>&1 &
		pids+=($!)
	done
	sleep 0.5 # the clients are listening
	read -r b0 a0 < <(cpu_ticks)
	t0=$(date +%s%N)
	ip netns exec "$NS-s" timeout -k 5 600 "$CLONECAST" mcast-serve -b -q -r "$D/repo" \
		--clients "$n" --max-wait 60 --max-bitrate "$br" img >"$D/s.log" 2>&1 ||
		{ sed 's/^/  server: /' "$D/s.log" >&2; bad=1; }
	for ((i = 1; i <= n; i++)); do
		wait "${pids[i - 1]}" || { sed "s/^/  client $i: /" "$D/c$i.log" >&2; bad=1; }
	done
	t1=$(date +%s%N)
	read -r b1 a1 < <(cpu_ticks)
	[ "$bad" = 0 ] || die "a run failed ($rate, N=$n)"
	if [ "$VERIFY" != 0 ]; then
		for ((i = 1; i <= n; i++)); do
			if ! diskimg_manifest "$D/t$i.img" "$D/t.m" || ! cmp -s "$D/src.m" "$D/t.m"; then
				die "client $i's disk differs from the source ($rate, N=$n)"
			fi
		done
	fi
	rm -f "$D"/t*.img
	awk -v a="$t0" -v b="$t1" -v u=$((b1 - b0)) -v t=$((a1 - a0)) \
		'BEGIN { printf "%.2f %d\n", (b - a) / 1e9, t ? 100 * u / t : 0 }'
}

worst=0
{
	echo "make bench-mcast: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
	awk -v l="$LAYOUT" -v p="$(diskimg_parts "$D/src.img" | wc -l)" -v s="$SIZE" -v z="$Z" -v b="$STREAM" \
		'BEGIN { printf "disk %s (%d partitions, %.0f MiB), image -z %s: %.1f MB sent per round\n", l, p, s / 1048576, z, b / 1e6 }'
	printf '%-9s %-12s %3s %9s %8s %10s %6s\n' link max-bitrate N seconds ratio "MB/s" "CPU%"
} | tee "$OUT"
for l in $LINKS; do
	rate=${l%%:*} br=${l#*:}
	mcnet_up "$NS" "$max" "$rate" || die "cannot make network namespaces here"
	base=
	for n in $COUNTS; do
		say "$rate, $n client(s) ..."
		read -r s busy < <(one_run "$rate" "$br" "$n")
		[ -n "$base" ] || base=$s
		ratio=$(awk -v s="$s" -v b="$base" 'BEGIN { printf "%.2f", s / b }')
		awk -v r="$ratio" -v w="$worst" 'BEGIN { exit !(r > w) }' && worst=$ratio
		awk -v l="$rate" -v br="$br" -v n="$n" -v s="$s" -v r="$ratio" -v b="$STREAM" -v c="$busy" \
			'BEGIN { printf "%-9s %-12s %3s %9s %8s %10.1f %6d\n", l, br, n, s, r, b / 1e6 / s, c }' | tee -a "$OUT"
	done
	mcnet_down "$NS"
done
verdict="worst ratio $worst (target <= $TARGET)"
awk -v w="$worst" -v t="$TARGET" 'BEGIN { exit !(w <= t) }' && ok=1 || ok=0
echo "$verdict: $([ "$ok" = 1 ] && echo met || echo MISSED)$([ "$VERIFY" = 0 ] || echo '; every restored disk identical to the source')" |
	tee -a "$OUT"
say "table in $OUT"
[ -z "$BENCH_STRICT" ] || [ "$ok" = 1 ]
