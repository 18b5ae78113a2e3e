#!/bin/bash
# run.sh [SECONDS [TARGET...]] - build the libFuzzer targets with clang
# (ASan + UBSan) and run each for SECONDS (default 120), one after the
# other, starting from and adding to the corpus kept in
# tests/fuzz/corpus/<target>/.  TARGETs are names like fuzz_image (default:
# every tests/fuzz/fuzz_*.c).  SECONDS = 0 only replays the corpus (a
# regression run).  Crashes, leaks, timeouts (> 10 s) and out-of-memory
# are saved as build/fuzz/<target>-crash-*, -leak-*, -timeout-*, -oom-*
# and make the exit status 1.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${1:-120}
[ $# -gt 0 ] && shift
[[ "$SECS" =~ ^[0-9]+$ ]] || { echo "run.sh: SECONDS must be a number, not '$SECS' (run.sh [SECONDS [TARGET...]])" >&2; exit 2; }
OUT=$TOP/build/fuzz
CC=${FUZZ_CC:-clang}
cd "$TOP"

SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFLAGS="-g -O1 $SAN -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iengine -I/usr/include/ntfs-3g -I/usr/include/samba-4.0"
CFLAGS="$CFLAGS -DLOCALEDIR=\"/nonexistent\""
# The libraries come from the Makefile (make fuzz passes LIBS); this default is for direct runs.
LIBS=${LIBS:-"-lssh -lsmbclient -lntfs-3g -lext2fs -lcom_err -lzstd -lisal -lz -lxxhash -llz4 -lbz2 -llzma -lcrypto -lpthread"}
# libFuzzer's defaults, spelled out: a leak is a finding.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=()
	for src in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$src" .c)"); done
fi
for t in "${targets[@]}"; do
	[ -f "tests/fuzz/$t.c" ] || { echo "run.sh: no target tests/fuzz/$t.c" >&2; exit 2; }
done

# The engine once, with coverage instrumentation (objects are rebuilt when
# their source, an engine header or the flags changed), then one binary
# per target.
mkdir -p "$OUT/obj"
echo "$CC $CFLAGS" >"$OUT/obj/flags.new"
cmp -s "$OUT/obj/flags.new" "$OUT/obj/flags" || rm -f "$OUT"/obj/*.o
mv "$OUT/obj/flags.new" "$OUT/obj/flags"
objs=()
for src in engine/*.c; do
	o=$OUT/obj/$(basename "$src" .c).o
	objs+=("$o")
	if [ ! "$o" -nt "$src" ] || [ -n "$(find engine -name '*.h' -newer "$o")" ]; then
		echo "   CC $src"
		$CC $CFLAGS -fsanitize=fuzzer-no-link -c -o "$o" "$src"
	fi
done
for t in "${targets[@]}"; do
	echo "   LD $t"
	$CC $CFLAGS -fsanitize=fuzzer -o "$OUT/$t" "tests/fuzz/$t.c" "${objs[@]}" $LIBS
done

# Keep the corpus small: the seeds (seed-*, from make-seeds.sh) and the
# fixed crash reproducers (regress-*) stay; of every other input, old and
# new, only a set that adds coverage to them is kept (libFuzzer -merge=1
# into a directory that starts with the seeds).
minimize() { # minimize TARGET CORPUS NEWDIR
	local t=$1 corpus=$2 new=$3 min=$OUT/$1.min other=$OUT/$1.other
	rm -rf "$min" "$other"
	mkdir -p "$min" "$other"
	find "$corpus" -maxdepth 1 -type f \( -name 'seed-*' -o -name 'regress-*' \) -exec cp {} "$min" \;
	find "$corpus" -maxdepth 1 -type f ! -name 'seed-*' ! -name 'regress-*' -exec cp {} "$other" \;
	if "$OUT/$t" -merge=1 "${common[@]}" -merge_control_file="$OUT/$t.merge" \
		"$min" "$other" "$new" >"$OUT/$t.merge.log" 2>&1; then
		find "$corpus" -maxdepth 1 -type f ! -name 'seed-*' ! -name 'regress-*' -delete
		find "$min" -maxdepth 1 -type f ! -name 'seed-*' ! -name 'regress-*' -exec cp {} "$corpus" \;
	else
		echo "$t: merging the corpus failed (kept as it was), see $OUT/$t.merge.log"
	fi
	rm -rf "$min" "$other" "$OUT/$t.merge"
}

common=(-rss_limit_mb=2048 -timeout=10 -max_len=65536)
fail=0
for t in "${targets[@]}"; do
	corpus=tests/fuzz/corpus/$t
	new=$OUT/$t.new
	log=$OUT/$t.log
	rm -rf "$new"
	mkdir -p "$corpus" "$new"
	touch "$OUT/$t.start"
	opts=("${common[@]}" -dict=tests/fuzz/fuzz.dict -artifact_prefix="$OUT/$t-" -print_final_stats=1)
	if [ "$SECS" = 0 ]; then
		echo "== $t: replaying $(ls "$corpus" | wc -l) inputs"
		opts+=(-runs=0)
	else
		echo "== $t: ${SECS}s"
		opts+=(-max_total_time="$SECS")
	fi
	# New inputs go to a scratch corpus (the first directory); the
	# interesting ones are merged back into the kept corpus below.
	if ! "$OUT/$t" "${opts[@]}" "$new" "$corpus" 2>"$log"; then
		fail=1
		echo "$t: FAILED, see $log and" $(find "$OUT" -maxdepth 1 -name "$t-*" -newer "$OUT/$t.start")
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5 || true
	fi
	grep -E 'stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" ||
		tail -3 "$log"
	[ "$SECS" = 0 ] || minimize "$t" "$corpus" "$new"
	rm -rf "$new"
	echo "corpus: $(ls "$corpus" | wc -l) files, $(du -sk "$corpus" | cut -f1) KiB"
done
exit $fail
