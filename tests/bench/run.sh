#!/bin/bash
# tests/bench/run.sh - `make bench`: Clonecast against partclone+zstd/pigz and ntfsclone+gzip,
# side by side in one run, on a realistic NTFS (tests/lib/fsimg.sh) held in tmpfs.
#
#   BENCH_SIZE_MB=4096   size of the NTFS          BENCH_FILL=0.5   fraction in use (about)
#   BENCH_SEED=1         generator seed            BENCH_RUNS=1     runs of every command
#   BENCH_DIR=/dev/shm/clonecast-bench             cache of the source image (one at a time)
#   BENCH_ONLY=anchors   time only partclone/ntfsclone (no ./clonecast needed)
#   BENCH_CC_OPTS="-j 2" extra options for clonecast save-part
#   BENCH_STRICT=1       exit 1 when a target is missed (default: report only)
#   CLONECAST=path       the binary (default ./clonecast)
#   BENCH_OUT=path       the table (default build/bench-results.txt)
# Quick run: BENCH_SIZE_MB=512 tests/bench/run.sh
#
# Everything (source, images, restored files) lives in tmpfs, so the numbers are CPU/memory
# bound, as in docs ANCHOR-BENCH.md. Runs alternate the order (ours first, then theirs first)
# so that noise on this shared machine hits both sides. partclone's wall times are quantised
# to 2 s (it waits for its progress tick before exiting): on short runs read the CPU column.
# Exit status: 0 when every command ran and every correctness check passed; 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

BENCH_SIZE_MB=${BENCH_SIZE_MB:-4096}
BENCH_FILL=${BENCH_FILL:-0.5}
BENCH_SEED=${BENCH_SEED:-1}
BENCH_RUNS=${BENCH_RUNS:-1}
BENCH_DIR=${BENCH_DIR:-/dev/shm/clonecast-bench}
BENCH_ONLY=${BENCH_ONLY:-}
BENCH_CC_OPTS=${BENCH_CC_OPTS:-}
BENCH_STRICT=${BENCH_STRICT:-}
CLONECAST=${CLONECAST:-$ROOT/clonecast}
OUT=${BENCH_OUT:-$ROOT/build/bench-results.txt}

die() { echo "bench: $*" >&2; exit 2; }
say() { echo "bench: $*" >&2; }

[[ "$BENCH_SIZE_MB" =~ ^[0-9]+$ ]] && [ "$BENCH_SIZE_MB" -ge 64 ] || die "BENCH_SIZE_MB must be an integer >= 64"
[[ "$BENCH_RUNS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer"
awk -v f="$BENCH_FILL" 'BEGIN { exit !(f + 0 > 0.05 && f + 0 < 0.85) }' || die "BENCH_FILL must be in 0.05..0.85"
case $BENCH_ONLY in ''|anchors) ;; *) die "BENCH_ONLY must be empty or 'anchors'";; esac

# ---------------------------------------------------------------- prerequisites
OURS=1
if [ "$BENCH_ONLY" = anchors ]; then
	OURS=
elif [ ! -x "$CLONECAST" ]; then
	cat >&2 <<EOF
bench: $CLONECAST is missing (or not executable).
bench: build it first: 'make clonecast' ('make bench' does that), or point CLONECAST= at a binary.
bench: to time only the anchors (partclone, ntfsclone) meanwhile: BENCH_ONLY=anchors $0
EOF
	exit 2
fi
[ "$(id -u)" -eq 0 ] || die "must run as root (ntfs-3g mounts while building the source image)"
for c in partclone.ntfs partclone.restore partclone.info ntfsclone ntfsfix ntfsinfo ntfs-3g mkntfs zstd pigz gzip \
	openssl cmp flock truncate; do
	command -v "$c" >/dev/null 2>&1 || die "$c not found: run tests/install-deps.sh"
done
. "$ROOT/tests/lib/fsimg.sh"
command -v "$FSIMG_PYTHON" >/dev/null 2>&1 || die "python3 not found: run tests/install-deps.sh"

mkdir -p "$(dirname "$OUT")"
. "$ROOT/tests/bench/source.sh"

# ---------------------------------------------------------------- work area, cleanup
W=$(mktemp -d "$BENCH_DIR/work.XXXXXX")
LOG=$W/log
logtail() { { tr '\r' '\n' <"$LOG" | grep -v '^ *$' || true; } | tail -n "$1" | cut -c1-200; }
FINISHED=
cleanup() {
	local rc=$?
	if [ "$rc" -ne 0 ] && [ -z "$FINISHED" ] && [ -s "${LOG:-}" ]; then
		say "stopped (status $rc); last lines of the log:"; logtail 15 | sed 's/^/bench:   /' >&2
	fi
	rm -rf "$W"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP
need=$((USED / 1048576 * 3 + 256))
[ "$(shm_avail_mb)" -ge "$need" ] || say "warning: $BENCH_DIR has $(shm_avail_mb) MiB free; the run needs ~$need MiB"

q() { printf '%q' "$1"; }
CC="$(q "$CLONECAST")"
S=$(q "$SRC")
A=$(q "$W/A") B=$(q "$W/B") C=$(q "$W/C") T1=$(q "$W/T1") T2=$(q "$W/T2") T3=$(q "$W/T3")

declare -A CMD PRE LABEL WALLS CPUS IMG FAIL
def() { LABEL[$1]=$2; CMD[$1]=$3; PRE[$1]=${4:-}; }   # KEY LABEL COMMAND [UNTIMED_SETUP]
def cc_save_zstd "clonecast save-part -z zstd"           "$CC save-part -z zstd $BENCH_CC_OPTS $S $A.zst"
def pc_save_zstd "partclone.ntfs -c | zstd -3 -T0"       "partclone.ntfs -c -s $S -o - -L /dev/null | zstd -3 -T0 > $B.zst"
def cc_save_gzip "clonecast save-part -z gzip"           "$CC save-part -z gzip $BENCH_CC_OPTS $S $A.gz"
def pc_save_pigz "partclone.ntfs -c | pigz -1"           "partclone.ntfs -c -s $S -o - -L /dev/null | pigz -1 > $B.gz"
def nc_save_gzip "ntfsclone --save-image | gzip -1"      "ntfsclone --save-image -o - $S | gzip -1 > $C.gz"
# restores: clonecast creates T1 itself (sparse, at the filesystem size); partclone.restore -W
# creates T2; ntfsclone needs T3 to exist (truncate, untimed)
def cc_rest_zstd "clonecast restore-part (zstd image)"   "$CC restore-part $A.zst $T1" "rm -f $T1"
def pc_rest_zstd "zstd -dc | partclone.restore -W"       "zstd -dc $B.zst | partclone.restore -s - -W -o $T2 -L /dev/null" "rm -f $T2"
def cc_rest_gzip "clonecast restore-part (gzip image)"   "$CC restore-part $A.gz $T1" "rm -f $T1"
def pc_rest_pigz "pigz -dc | partclone.restore -W"       "pigz -dc $B.gz | partclone.restore -s - -W -o $T2 -L /dev/null" "rm -f $T2"
def nc_rest_gzip "gzip -dc | ntfsclone --restore-image"  "gzip -dc $C.gz | ntfsclone --restore-image --overwrite $T3 -" \
	"rm -f $T3; truncate -s $SIZE $T3"

TIMEFORMAT='%R %U %S'
# timed KEY [IMAGE]: run CMD[KEY] once; record wall, CPU (user+sys of every process) and image size
timed() {
	local key=$1 img=${2:-} tf=$W/time rc=0 tm
	[ -z "${FAIL[$key]:-}" ] || return 0
	[ -z "${PRE[$key]}" ] || bash -c "${PRE[$key]}"
	{ time bash -o pipefail -c "${CMD[$key]}" >"$W/cmd.log" 2>&1; } 2>"$tf" || rc=$?
	{ echo "=== $key (exit $rc): ${CMD[$key]}"; tr '\r' '\n' <"$W/cmd.log" | grep -v '^ *$' | tail -n 40 || true; } >>"$LOG"
	if [ "$rc" -ne 0 ]; then
		FAIL[$key]="exit $rc"; say "FAILED ($rc): ${CMD[$key]}"
		{ tr '\r' '\n' <"$W/cmd.log" | grep -v '^ *$' || echo "(no output)"; } | tail -n 5 | cut -c1-200 | sed 's/^/bench:   /' >&2
		return 0
	fi
	read -r -a tm <"$tf"
	WALLS[$key]+=" ${tm[0]}"
	CPUS[$key]+=" $(awk -v u="${tm[1]}" -v s="${tm[2]}" 'BEGIN { printf "%.2f", u + s }')"
	[ -z "$img" ] || IMG[$key]=$(stat -c %s "$img")
	say "$(printf '%-40s %7.2f s wall %7.2f s CPU' "${LABEL[$key]}" "${tm[0]}" "$(awk -v u="${tm[1]}" -v s="${tm[2]}" 'BEGIN { print u + s }')")"
}
# run_set RUN KEY... : the keys in order on odd runs, reversed on even runs (ours first, then theirs first)
run_set() {
	local r=$1; shift; local -a keys=("$@"); local i
	if [ $((r % 2)) -eq 0 ]; then for ((i = ${#keys[@]} - 1; i >= 0; i--)); do timed "${keys[i]}" "${IMGOF[${keys[i]}]:-}"; done
	else for i in "${keys[@]}"; do timed "$i" "${IMGOF[$i]:-}"; done; fi
}
declare -A IMGOF=([cc_save_zstd]=$W/A.zst [pc_save_zstd]=$W/B.zst [cc_save_gzip]=$W/A.gz [pc_save_pigz]=$W/B.gz
	[nc_save_gzip]=$W/C.gz)

CHECKS=() BAD=0
check() { # check DESCRIPTION COMMAND...
	local d=$1; shift
	if "$@" >>"$LOG" 2>&1; then CHECKS+=("ok    $d"); else CHECKS+=("FAIL  $d"); BAD=$((BAD + 1)); say "check FAILED: $d"; fi
}
# the restore made by ours is the same as partclone's over every block partclone restores (it
# drops the NTFS backup boot sector in the last, partial cluster: its file stops 1 block short),
# has the source size, and has the source's last sector (the backup boot sector)
verify_ours() { # TAG
	local t1=$W/T1 t2=$W/T2
	[ -f "$t1" ] && [ -f "$t2" ] || return 0
	check "$1: clonecast restore has the source size ($SIZE)" test "$(stat -c %s "$t1")" -eq "$SIZE"
	check "$1: clonecast restore = partclone restore over its $COVER bytes (all whole blocks)" cmp -n "$COVER" "$t1" "$t2"
	check "$1: clonecast restore has the backup boot sector (last 512 bytes = source)" \
		cmp -i $((SIZE - 512)) "$t1" "$SRC"
	check "$1: ntfsfix -n on the clonecast restore: clean" fsimg_fsck "$t1" ntfs
}

{ uptime; date; } >>"$LOG"
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
for ((r = 1; r <= BENCH_RUNS; r++)); do
	say "run $r/$BENCH_RUNS: zstd"
	rm -f "$W"/A.* "$W"/B.* "$W"/C.* "$W"/T?
	if [ -n "$OURS" ]; then run_set "$r" cc_save_zstd pc_save_zstd; else timed pc_save_zstd "$W/B.zst"; fi
	if [ -n "$OURS" ]; then
		run_set "$r" cc_rest_zstd pc_rest_zstd
		[ -n "${FAIL[cc_rest_zstd]:-}" ] || verify_ours "run $r zstd"
	else
		timed pc_rest_zstd
	fi
	rm -f "$W"/A.* "$W"/B.* "$W"/T?

	say "run $r/$BENCH_RUNS: gzip"
	if [ -n "$OURS" ]; then run_set "$r" cc_save_gzip pc_save_pigz nc_save_gzip
	else run_set "$r" pc_save_pigz nc_save_gzip; fi
	if [ -n "$OURS" ]; then
		run_set "$r" cc_rest_gzip pc_rest_pigz
		[ -n "${FAIL[cc_rest_gzip]:-}" ] || verify_ours "run $r gzip"
		rm -f "$W"/A.* "$W"/B.* "$W/T2"
	else
		timed pc_rest_pigz; rm -f "$W"/B.*
	fi
	timed nc_rest_gzip
	if [ -f "$W/T3" ] && [ -f "$W/T1" ]; then
		check "run $r gzip: clonecast restore = ntfsclone restore (all whole blocks and the last sector)" \
			eval 'cmp -n "$COVER" "$W/T1" "$W/T3" && cmp -i $((SIZE - 512)) "$W/T1" "$W/T3"'
	elif [ -f "$W/T3" ] && [ -f "$W/T2" ]; then
		check "run $r gzip: ntfsclone restore = partclone restore over all whole blocks" cmp -n "$COVER" "$W/T3" "$W/T2"
		check "run $r gzip: ntfsclone restore has the backup boot sector" cmp -i $((SIZE - 512)) "$W/T3" "$SRC"
	fi
	rm -f "$W"/A.* "$W"/B.* "$W"/C.* "$W"/T?
done

# ---------------------------------------------------------------- the table
med() { tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
wall() { med "${WALLS[$1]:-}"; }
cpu() { med "${CPUS[$1]:-}"; }
row() { # KEY KIND
	local k=$1 w c i mbs
	if [ -n "${FAIL[$k]:-}" ]; then printf '%-8s %-40s %s\n' "$2" "${LABEL[$k]}" "FAILED (${FAIL[$k]})"; return; fi
	w=$(wall "$k"); c=$(cpu "$k")
	[ -n "$w" ] || return 0
	i=-; [ -z "${IMG[$k]:-}" ] || i=$(awk -v b="${IMG[$k]}" 'BEGIN { printf "%.1f", b / 1e6 }')
	mbs=$(awk -v u="$USED" -v w="$w" 'BEGIN { printf "%.0f", (w > 0) ? u / 1e6 / w : 0 }')
	printf '%-8s %-40s %8.2f %8.2f %9s %9s\n' "$2" "${LABEL[$k]}" "$w" "$c" "$i" "$mbs"
}
# ratio: theirs/ours of wall (speed-up), ours/theirs of image size; targets; PASS/MISS
# speedup OURS THEIRS: median over the runs of theirs/ours wall time, each run's pair measured
# back to back (more robust to this machine's noise than the ratio of the medians)
speedup() {
	awk -v o="${WALLS[$1]}" -v t="${WALLS[$2]}" 'BEGIN {
	    n = split(o, a, " "); m = split(t, b, " "); if (m < n) n = m; k = 0
	    for (i = 1; i <= n; i++) if (a[i] > 0) r[++k] = b[i] / a[i]
	    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (r[j] < r[i]) { x = r[i]; r[i] = r[j]; r[j] = x }
	    if (k == 0) print 0; else if (k % 2) printf "%.2f\n", r[(k + 1) / 2]; else printf "%.2f\n", (r[k / 2] + r[k / 2 + 1]) / 2 }'
}
MISSED=0
verdict() { if [ -n "$1" ]; then echo "MISS ($1)"; else echo PASS; fi; }
target() { # DESCRIPTION OURS THEIRS MIN_SPEEDUP [MAX_SIZE_RATIO]
	local d=$1 o=$2 t=$3 ms=$4 mz=${5:-} sp sz miss=
	if [ -z "$(wall "$o")" ] || [ -z "$(wall "$t")" ]; then
		printf '%-48s %10s %10s   %s\n' "$d" - - "n/a (a side did not run)"; return
	fi
	sp=$(speedup "$o" "$t")
	awk -v s="$sp" -v m="$ms" 'BEGIN { exit !(s >= m) }' || miss=speed
	if [ -n "$mz" ]; then
		# exact byte ratio; shown with 4 decimals so that 1.0003x is not printed as a passing 1.000x
		sz=$(awk -v a="${IMG[$o]}" -v b="${IMG[$t]}" 'BEGIN { printf "%.4f", a / b }')
		awk -v a="${IMG[$o]}" -v b="${IMG[$t]}" -v m="$mz" 'BEGIN { exit !(a <= m * b) }' ||
			miss="${miss:+$miss, }size: +$((IMG[$o] - IMG[$t])) bytes"
		printf '%-48s %9sx %9sx   speed >= %sx, size <= %sx: %s\n' "$d" "$sp" "$sz" "$ms" "$mz" "$(verdict "$miss")"
	else
		printf '%-48s %9sx %10s   speed >= %sx: %s\n' "$d" "$sp" - "$ms" "$(verdict "$miss")"
	fi
	[ -z "$miss" ] || MISSED=$((MISSED + 1))
}
info_ratio() { # DESCRIPTION OURS THEIRS
	local sp sz=-
	[ -n "$(wall "$2")" ] && [ -n "$(wall "$3")" ] || return 0
	sp=$(speedup "$2" "$3")
	[ -z "${IMG[$2]:-}" ] || [ -z "${IMG[$3]:-}" ] || sz=$(awk -v a="${IMG[$2]}" -v b="${IMG[$3]}" 'BEGIN { printf "%.4fx", a / b }')
	printf '%-48s %9sx %10s   (information)\n' "$1" "$sp" "$sz"
}

{
	printf '# Clonecast bench %s: NTFS %d MiB (%.1f MB), used %.1f MB (%.1f%%), %s files, %.1f MiB data,\n' \
		"$(date '+%Y-%m-%d %H:%M')" "$BENCH_SIZE_MB" "$(awk -v s="$SIZE" 'BEGIN { print s / 1e6 }')" \
		"$(awk -v u="$USED" 'BEGIN { print u / 1e6 }')" "$(awk -v u="$USED" -v s="$SIZE" 'BEGIN { print 100 * u / s }')" \
		"$(st files)" "$(awk -v b="$(st bytes)" 'BEGIN { print b / 1048576 }')"
	printf '# %s deleted files (%.1f MiB) and old data in free space; seed %s; runs %s (median); tmpfs; load %s -> %s; %s\n' \
		"$(st deleted_files)" "$(awk -v b="$(st deleted_bytes)" 'BEGIN { print b / 1048576 }')" "$BENCH_SEED" \
		"$BENCH_RUNS" "$LOAD0" "$(cut -d' ' -f1 /proc/loadavg)" "$([ -n "$OURS" ] && echo "$CLONECAST" || echo "anchors only")"
	printf '%-8s %-40s %8s %8s %9s %9s\n' step command "wall s" "CPU s" "image MB" "MB/s used"
	row cc_save_zstd save; row pc_save_zstd save
	row cc_save_gzip save; row pc_save_pigz save; row nc_save_gzip save
	row cc_rest_zstd restore; row pc_rest_zstd restore
	row cc_rest_gzip restore; row pc_rest_pigz restore; row nc_rest_gzip restore
	echo "# MB = 10^6 bytes; MB/s used = bytes in use (partclone's count) / wall; CPU = user+sys of the whole pipeline."
	echo "# partclone walls are rounded up to its 2 s progress tick."
	if [ -n "$OURS" ]; then
		echo
		printf '%-48s %10s %10s   %s\n' "target (ours vs theirs, same run)" "speed-up" "size" "goal"
		echo "# speed-up: theirs/ours wall time (median of the runs' pairs); size: ours/theirs image bytes"
		target "save zstd vs partclone | zstd -3 -T0" cc_save_zstd pc_save_zstd 2.0 1.0
		target "save gzip vs partclone | pigz -1" cc_save_gzip pc_save_pigz 1.5 1.0
		info_ratio "save gzip vs ntfsclone | gzip -1" cc_save_gzip nc_save_gzip
		target "restore zstd vs zstd -dc | partclone.restore" cc_rest_zstd pc_rest_zstd 2.0
		info_ratio "restore gzip vs pigz -dc | partclone.restore" cc_rest_gzip pc_rest_pigz
		info_ratio "restore gzip vs gzip -dc | ntfsclone" cc_rest_gzip nc_rest_gzip
		echo "# ANCHOR-BENCH.md also asks: restore of gzip images >= 1.5x pigz -dc | partclone.restore."
	fi
	if [ ${#CHECKS[@]} -gt 0 ]; then
		echo
		echo "correctness:"
		for c in "${CHECKS[@]}"; do [ -n "$c" ] && echo "  $c"; done
	fi
} >"$W/table"
echo
cat "$W/table"
cp "$W/table" "$OUT"
say "table written to $OUT"

FINISHED=1
nfail=0
for k in "${!FAIL[@]}"; do nfail=$((nfail + 1)); done
[ "$nfail" -eq 0 ] || { say "$nfail command(s) failed"; exit 1; }
[ "$BAD" -eq 0 ] || { say "$BAD correctness check(s) failed"; exit 1; }
if [ -n "$BENCH_STRICT" ] && [ "$MISSED" -gt 0 ]; then say "$MISSED target(s) missed"; exit 1; fi
exit 0
