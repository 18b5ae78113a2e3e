#!/bin/bash
# run-tap.sh PROGRAM... - run TAP programs (binaries or .sh scripts), count
# their test points and end with the closing line "N passed, N failed".
set -u
export LC_ALL=C  # tests match English messages; t0100-i18n sets its own locales
pass=0 fail=0 skip=0 bad=()
for t in "$@"; do
	[ -e "$t" ] || continue
	name=$(basename "$t")
	log=$(mktemp)
	start=$(date +%s)
	if [[ "$t" == *.sh ]]; then bash "$t" >"$log" 2>&1; rc=$?; else "$t" >"$log" 2>&1; rc=$?; fi
	p=$(grep -cE '^ok [0-9]+' "$log" | tr -d ' '); s=$(grep -cE '^ok [0-9]+ # SKIP' "$log" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9]+' "$log" | tr -d ' ')
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $name exited with status $rc" >>"$log"; fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	printf '%-32s %4d passed %3d failed %3d skipped  %4ss\n' "$name" "$p" "$f" "$s" "$(( $(date +%s) - start ))"
	if [ "$f" -ne 0 ] || [ -n "${VERBOSE:-}" ]; then sed 's/^/    /' "$log"; bad+=("$name"); fi
	rm -f "$log"
done
[ ${#bad[@]} -eq 0 ] || echo "failing: ${bad[*]}"
echo "$pass passed, $fail failed, $skip skipped"
# Accumulate for the overall closing line of `make check`.
[ -z "${TAP_TOTALS:-}" ] || echo "$pass $fail $skip" >> "$TAP_TOTALS"
[ "$fail" -eq 0 ]
