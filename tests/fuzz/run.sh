#!/bin/bash
# run.sh SECONDS - build the libFuzzer targets with clang (ASan + UBSan) and
# run each for SECONDS, starting from and adding to the corpus kept in
# tests/fuzz/corpus/<target>/. Crashes are saved in build/fuzz/ and fail the run.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${1:-120}
OUT=$TOP/build/fuzz
mkdir -p "$OUT"
cd "$TOP"
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iengine -I/usr/include/ntfs-3g -DLOCALEDIR=\"/nonexistent\""
LIBS="-lntfs-3g -lext2fs -lcom_err -lzstd -lisal -lz -lxxhash -llz4 -lbz2 -llzma -lpthread"
fail=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	clang $CFLAGS -o "$OUT/$name" "$src" engine/*.c $LIBS
	corpus=tests/fuzz/corpus/$name
	mkdir -p "$corpus" "$OUT/$name.new"
	echo "== $name: ${SECS}s"
	# new inputs go to a scratch corpus; merge the interesting ones back
	if ! "$OUT/$name" -max_total_time="$SECS" -max_len=1048576 -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$OUT/$name-" -print_final_stats=1 "$OUT/$name.new" "$corpus" \
		2>"$OUT/$name.log"; then
		fail=1
		echo "$name: FOUND A CRASH, see $OUT/$name.log and $OUT/$name-*"
	fi
	grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$OUT/$name.log" || tail -3 "$OUT/$name.log"
	"$OUT/$name" -merge=1 "$corpus" "$OUT/$name.new" >/dev/null 2>&1 || true
	rm -rf "$OUT/$name.new"
	echo "corpus: $(ls "$corpus" | wc -l) files"
done
exit $fail
