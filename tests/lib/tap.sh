# tap.sh - TAP helpers for shell tests (source it).
#   ok COND_EXIT_STATUS "name"      check "name" cmd args...
#   is GOT WANT "name"             done_testing
# CLONECAST: the binary under test (default ./clonecast); HELPERS: helper binaries.
_tap_n=0 _tap_fail=0
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLONECAST=${CLONECAST:-$TOP/clonecast}
HELPERS=${HELPERS:-$TOP/build/tests/helpers}

ok() { # ok STATUS name
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_tap_n - $2"; else echo "not ok $_tap_n - $2"; _tap_fail=$((_tap_fail + 1)); fi
}
check() { # check "name" command... : passes if the command succeeds
	local name=$1; shift
	local out
	out=$("$@" 2>&1); local rc=$?
	ok $rc "$name"
	[ $rc -eq 0 ] || printf '%s\n' "$out" | head -20 | sed 's/^/#   /'
	return $rc
}
check_fails() { # check_fails "name" PATTERN command... : must fail with stderr/stdout matching PATTERN
	local name=$1 pat=$2; shift 2
	local out
	out=$("$@" 2>&1); local rc=$?
	if [ $rc -ne 0 ] && printf '%s' "$out" | grep -Eq -- "$pat"; then ok 0 "$name"; else
		ok 1 "$name"; echo "#   exit $rc, wanted failure matching /$pat/, output:"; printf '%s\n' "$out" | head -10 | sed 's/^/#   /'; fi
}
is() { # is GOT WANT name
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got: '$1'"; echo "#   expected: '$2'"; fi
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $1"; }
diag() { echo "# $*"; }
done_testing() { echo "1..$_tap_n"; [ $_tap_fail -eq 0 ]; }
# A scratch directory on tmpfs, removed at exit (add more cleanup with at_exit).
_tap_cleanups=()
at_exit() { _tap_cleanups+=("$*"); }
_tap_cleanup() { local i; for ((i=${#_tap_cleanups[@]}-1; i>=0; i--)); do eval "${_tap_cleanups[$i]}" >/dev/null 2>&1; done; }
trap _tap_cleanup EXIT
# make_scratch: sets SCRATCH (call it directly, not in $(...), so the cleanup is registered)
make_scratch() { SCRATCH=$(mktemp -d /dev/shm/cctest.XXXXXX); at_exit "rm -rf '$SCRATCH'"; }
# flip_byte FILE OFFSET: invert every bit of one byte in place
flip_byte() {
	local v; v=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\x$(printf %02x $(( v ^ 0xff )))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
