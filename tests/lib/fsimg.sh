# shellcheck shell=bash
# fsimg.sh - make filled, realistic test filesystems on plain files (tests and `make bench`).
#
#   . tests/lib/fsimg.sh
#   fsimg_tree DIR SEED NFILES TOTAL_MB           write a Windows-like tree into DIR
#   fsimg_prefill FILE SIZE_MB SEED               'previous life' data (45% random, 35% binary,
#                                                 15% text, 5% zero; 1 MiB chunks)
#   fsimg_ntfs FILE SIZE_MB SEED NFILES DATA_MB   prefill + mkntfs -Q + ntfs-3g fill
#   fsimg_ext4 FILE SIZE_MB SEED NFILES DATA_MB [MKFS_OPTS]   prefill + mkfs.ext4 + loop-mount fill
#   fsimg_fat  FILE SIZE_MB SEED NFILES DATA_MB [FATBITS]     prefill + mkfs.vfat + mtools fill
#   fsimg_manifest_dir DIR OUT                    '<sha256>  path' per file, 'dir  path/' per dir
#   fsimg_manifest_ntfs|_ext4|_fat FILE OUT       the same, read from the filesystem (read-only)
#   fsimg_manifest FILE OUT                       the same, filesystem type detected
#   fsimg_fsck FILE [ntfs|ext4|fat]               ntfsfix -n / e2fsck -fn / fsck.fat -n; 0 = clean
#   fsimg_detect FILE                             prints ntfs, ext4 or fat (or fails)
#
# Tree: by bytes ~15% small text (xml manifests, CBS logs, ini/inf, json; log-normal 100 B-64 KiB),
# ~45% copies of real ELF files from /usr named .dll/.exe/.sys/.mui, ~15% incompressible
# (random with .cab/.jpg/.zip/... headers), ~25% files of 16-128 MiB when TOTAL_MB >= 256 (else
# their share goes to the others): alternately random (.msi/.vdm/.iso) and database-like
# (.edb/.db/.pst: 64 KiB pages, 30% zero, 30% text, 20% binary, 20% random). Exactly NFILES
# files; WinSxS, DriverStore, Program Files, Users/*/AppData, a 14-level ProgramData path, names
# with spaces and non-ASCII characters (é ü 中文), case-insensitively unique names (FAT and NTFS
# safe). TOTAL_MB/DATA_MB count MiB of file data.
# Filesystems are filled in two mounts: 'update' files interleaved with the first half of the
# tree, then the updates deleted; remount; the second half (into the holes) and a Temp folder,
# deleted at the end. Files of 256 KiB and more are written two at a time in alternating pieces.
# Free space thus holds deleted files and, below them, the prefilled old data. Deleted bytes
# ~0.44 x DATA_MB (as in ANCHOR-BENCH), capped by free space; FSIMG_DELETED_MB overrides.
# ntfs-3g's allocator (largest free run in a 128 MiB window, 16 MiB skip between new files)
# keeps most files contiguous anyway: expect fragmented large files, few fragmented small ones,
# and a used/free bitmap broken into many runs (4 GiB bench image: ~1500 runs).
#
# Deterministic: same SEED and arguments -> same file names and contents (on the same machine:
# the ELF copies come from this machine's /usr). Contents come from an AES-128-CTR keystream
# (openssl) keyed by the seed and a small python3 program embedded below.
# Every function runs in its own bash process (set -euo pipefail, traps), so it cleans up its
# mounts and temp dirs even on error, and `if fsimg_x ...` in the caller cannot disable set -e
# inside it. Each prints a summary line on stderr; with FSIMG_STATS=PATH it also writes
# key=value lines there (files, dirs, bytes, deleted_files, deleted_bytes, seconds, ...).
# FSIMG_TMP: where staging trees and mountpoints go (default /dev/shm, else /tmp).

FSIMG_GENVER=2                                   # bump when the output changes (bench cache key)
FSIMG_LIB=$(readlink -f "${BASH_SOURCE[0]}")
if [ -z "${FSIMG_PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then FSIMG_PYTHON=/usr/bin/python3; else FSIMG_PYTHON=python3; fi
fi
export FSIMG_PYTHON FSIMG_LIB FSIMG_GENVER

# Public entry points: run the implementation in a fresh bash.
_fsimg_run() {
	"${BASH:-bash}" -c 'set -euo pipefail; . "$FSIMG_LIB"; "$@"' fsimg "$@"
}
fsimg_tree()          { _fsimg_run _fsimg_tree "$@"; }
fsimg_prefill()       { _fsimg_run _fsimg_prefill "$@"; }
fsimg_ntfs()          { _fsimg_run _fsimg_ntfs "$@"; }
fsimg_ext4()          { _fsimg_run _fsimg_ext4 "$@"; }
fsimg_fat()           { _fsimg_run _fsimg_fat "$@"; }
fsimg_manifest_dir()  { _fsimg_run _fsimg_manifest_dir "$@"; }
fsimg_manifest_ntfs() { _fsimg_run _fsimg_manifest_ntfs "$@"; }
fsimg_manifest_ext4() { _fsimg_run _fsimg_manifest_ext4 "$@"; }
fsimg_manifest_fat()  { _fsimg_run _fsimg_manifest_fat "$@"; }
fsimg_manifest()      { _fsimg_run _fsimg_manifest "$@"; }
fsimg_fsck()          { _fsimg_run _fsimg_fsck "$@"; }
fsimg_detect()        { _fsimg_run _fsimg_detect "$@"; }

# ---------------------------------------------------------------- helpers (run inside _fsimg_run)
_fsimg_die() { echo "fsimg: $*" >&2; exit 1; }
_fsimg_py() { "$FSIMG_PYTHON" -c "$(_fsimg_pysrc)" "$@"; }
_fsimg_now() { date +%s.%N; }
_fsimg_tmpbase() {
	local d=${FSIMG_TMP:-}
	if [ -z "$d" ]; then if [ -d /dev/shm ] && [ -w /dev/shm ]; then d=/dev/shm; else d=${TMPDIR:-/tmp}; fi; fi
	echo "$d"
}
_fsimg_int() { # _fsimg_int NAME VALUE: positive integer
	[[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || _fsimg_die "$1 must be a positive integer, not '$2'"
}
_fsimg_num() { [[ "$2" =~ ^[0-9]+([.][0-9]+)?$ ]] || _fsimg_die "$1 must be a number, not '$2'"; }
_fsimg_need() { local c; for c; do command -v "$c" >/dev/null 2>&1 || _fsimg_die "$c not found (run tests/install-deps.sh)"; done; }

# _fsimg_report WHAT START STATS: summary on stderr, key=value lines to $FSIMG_STATS
_fsimg_report() {
	local what=$1 start=$2 stats=$3 secs
	secs=$(awk -v a="$start" -v b="$(_fsimg_now)" 'BEGIN { printf "%.1f", b - a }')
	stats=$(printf '%s\nseconds=%s\ngenver=%s\n' "$stats" "$secs" "$FSIMG_GENVER")
	if [ -n "${FSIMG_STATS:-}" ]; then printf '%s\n' "$stats" >"$FSIMG_STATS"; fi
	printf '%s\n' "$stats" | awk -v what="$what" -F= '{ v[$1] = $2 }
	    END { s = sprintf("fsimg: %s: %d files, %d dirs, %.1f MiB", what, v["files"], v["dirs"], v["bytes"] / 1048576)
	          if (v["deleted_files"] > 0) s = s sprintf("; deleted %d files, %.1f MiB", v["deleted_files"], v["deleted_bytes"] / 1048576)
	          print s sprintf("; %s s", v["seconds"]) }' >&2
}

# deleted MiB for a filesystem of SIZE MiB holding DATA MiB (see the header)
_fsimg_deleted_mb() {
	if [ -n "${FSIMG_DELETED_MB:-}" ]; then echo "$FSIMG_DELETED_MB"; return; fi
	awk -v s="$1" -v d="$2" 'BEGIN { x = 0.44 * d; free = 0.85 * s - 1.25 * d; if (free < 0) free = 0
	    if (x > free) x = free; printf "%.2f", x }'
}

_fsimg_check_args() { # SIZE_MB NFILES DATA_MB
	_fsimg_int SIZE_MB "$1"; _fsimg_int NFILES "$2"; _fsimg_num DATA_MB "$3"
	awk -v s="$1" -v d="$3" 'BEGIN { exit !(d * 1.1 < s) }' ||
		_fsimg_die "DATA_MB $3 does not fit in a $1 MiB filesystem"
}

# ---------------------------------------------------------------- tree and prefill
_fsimg_tree() {
	[ $# -eq 4 ] || _fsimg_die "usage: fsimg_tree DIR SEED NFILES TOTAL_MB"
	_fsimg_int NFILES "$3"; _fsimg_num TOTAL_MB "$4"; _fsimg_need openssl
	local start out; start=$(_fsimg_now)
	mkdir -p "$1"
	out=$(_fsimg_py tree "$1" "$2" "$3" "$4") || _fsimg_die "tree generation failed in $1"
	_fsimg_report "tree $1" "$start" "$out"
}

_fsimg_prefill() {
	[ $# -eq 3 ] || _fsimg_die "usage: fsimg_prefill FILE SIZE_MB SEED"
	_fsimg_int SIZE_MB "$2"; _fsimg_need openssl
	local out; out=$(_fsimg_py prefill "$1" "$2" "$3") || _fsimg_die "prefill of $1 failed"
	if [ -n "${FSIMG_VERBOSE:-}" ]; then echo "fsimg: prefill $1:" $out >&2; fi
}

# ---------------------------------------------------------------- NTFS
_FSIMG_MNT='' _FSIMG_PID='' _FSIMG_TMPD=''
_fsimg_cleanup() {
	local i
	if [ -n "$_FSIMG_MNT" ]; then
		for i in 1 2 3 4 5 6 7 8 9 10; do
			mountpoint -q "$_FSIMG_MNT" || break
			if [ -n "$_FSIMG_PID" ]; then fusermount -u "$_FSIMG_MNT" 2>/dev/null || true
			else umount "$_FSIMG_MNT" 2>/dev/null || true; fi
			mountpoint -q "$_FSIMG_MNT" || break
			sleep 0.5
		done
		mountpoint -q "$_FSIMG_MNT" && umount -l "$_FSIMG_MNT" 2>/dev/null
	fi
	if [ -n "$_FSIMG_PID" ]; then
		# ntfs-3g has left the mount; let it finish writing and exit
		for i in $(seq 100); do kill -0 "$_FSIMG_PID" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$_FSIMG_PID" 2>/dev/null && kill "$_FSIMG_PID" 2>/dev/null
		wait "$_FSIMG_PID" 2>/dev/null || true
		_FSIMG_PID=
	fi
	if [ -n "$_FSIMG_MNT" ]; then rmdir "$_FSIMG_MNT" 2>/dev/null || true; _FSIMG_MNT=; fi
	if [ -n "$_FSIMG_TMPD" ]; then rm -rf "$_FSIMG_TMPD"; _FSIMG_TMPD=; fi
}
_fsimg_traps() {
	trap _fsimg_cleanup EXIT
	trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP
}
_fsimg_mkmnt() { _FSIMG_MNT=$(mktemp -d "$(_fsimg_tmpbase)/fsimg-mnt.XXXXXX"); }
_fsimg_mktmp() { _FSIMG_TMPD=$(mktemp -d "$(_fsimg_tmpbase)/fsimg-tmp.XXXXXX"); }

# _fsimg_ntfs_mount FILE OPTS: ntfs-3g in the foreground (no_detach) as our child, so we can
# wait for it to exit after the unmount (it writes the last metadata then).
_fsimg_ntfs_mount() {
	local i log; log=$(mktemp "$(_fsimg_tmpbase)/fsimg-ntfs3g.XXXXXX")
	ntfs-3g -o "no_detach,$2" "$1" "$_FSIMG_MNT" >"$log" 2>&1 &
	_FSIMG_PID=$!
	for i in $(seq 200); do
		mountpoint -q "$_FSIMG_MNT" && { rm -f "$log"; return 0; }
		kill -0 "$_FSIMG_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$log" >&2; rm -f "$log"
	_fsimg_die "ntfs-3g could not mount $1"
}
_fsimg_ntfs_umount() {
	local rc=0
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		fusermount -u "$_FSIMG_MNT" 2>/dev/null && break
		sleep 0.3
	done
	mountpoint -q "$_FSIMG_MNT" && _fsimg_die "cannot unmount $_FSIMG_MNT"
	wait "$_FSIMG_PID" || rc=$?
	_FSIMG_PID=
	[ "$rc" -eq 0 ] || _fsimg_die "ntfs-3g exited with status $rc"
}

_fsimg_ntfs() {
	[ $# -eq 5 ] || _fsimg_die "usage: fsimg_ntfs FILE SIZE_MB SEED NFILES DATA_MB"
	local file=$1 size=$2 seed=$3 n=$4 data=$5 start out del err
	_fsimg_check_args "$size" "$n" "$data"; _fsimg_need mkntfs ntfs-3g fusermount openssl mountpoint
	start=$(_fsimg_now); _fsimg_traps
	del=$(_fsimg_deleted_mb "$size" "$data")
	_fsimg_prefill "$file" "$size" "$seed"
	err=$(mkntfs -F -q -Q -L "fsimg-$seed" "$file" 2>&1) || { echo "$err" >&2; _fsimg_die "mkntfs $file failed"; }
	_fsimg_mkmnt
	_fsimg_ntfs_mount "$file" big_writes
	_fsimg_py fs1 "$_FSIMG_MNT" "$seed" "$n" "$data" "$del" || _fsimg_die "filling $file failed"
	_fsimg_ntfs_umount
	_fsimg_ntfs_mount "$file" big_writes
	out=$(_fsimg_py fs2 "$_FSIMG_MNT" "$seed" "$n" "$data" "$del") || _fsimg_die "filling $file failed"
	_fsimg_ntfs_umount
	_fsimg_report "ntfs $file ($size MiB)" "$start" "$out"
}

# ---------------------------------------------------------------- ext4
_fsimg_ext4() {
	[ $# -ge 5 ] && [ $# -le 6 ] || _fsimg_die "usage: fsimg_ext4 FILE SIZE_MB SEED NFILES DATA_MB [MKFS_OPTS]"
	local file=$1 size=$2 seed=$3 n=$4 data=$5 start out del
	local -a opts; read -r -a opts <<<"${6:-}"
	_fsimg_check_args "$size" "$n" "$data"; _fsimg_need mkfs.ext4 mount umount openssl mountpoint
	start=$(_fsimg_now); _fsimg_traps
	del=$(_fsimg_deleted_mb "$size" "$data")
	_fsimg_prefill "$file" "$size" "$seed"
	# nodiscard: mke2fs would punch the prefill out of the file; no lazy init: no kernel thread
	# writing inode tables behind our back
	mkfs.ext4 -F -q -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 -L "fsimg-$seed" "${opts[@]}" "$file" ||
		_fsimg_die "mkfs.ext4 $file failed"
	_fsimg_mkmnt
	if mount -o loop "$file" "$_FSIMG_MNT" 2>/dev/null; then
		_fsimg_py fs1 "$_FSIMG_MNT" "$seed" "$n" "$data" "$del" || _fsimg_die "filling $file failed"
		umount "$_FSIMG_MNT" || _fsimg_die "cannot unmount $_FSIMG_MNT"
		mount -o loop "$file" "$_FSIMG_MNT" || _fsimg_die "cannot mount $file again"
		out=$(_fsimg_py fs2 "$_FSIMG_MNT" "$seed" "$n" "$data" "$del") || _fsimg_die "filling $file failed"
		umount "$_FSIMG_MNT" || _fsimg_die "cannot unmount $_FSIMG_MNT"
	else
		echo "fsimg: loop mount failed; using mkfs.ext4 -d (no deleted files, no fragmentation)" >&2
		_fsimg_mktmp
		out=$(_fsimg_py tree "$_FSIMG_TMPD/root" "$seed" "$n" "$data") || _fsimg_die "tree generation failed"
		mkfs.ext4 -F -q -E nodiscard -L "fsimg-$seed" "${opts[@]}" -d "$_FSIMG_TMPD/root" "$file" ||
			_fsimg_die "mkfs.ext4 -d $file failed"
	fi
	_fsimg_report "ext4 $file ($size MiB)" "$start" "$out"
}

# ---------------------------------------------------------------- FAT (mtools: no vfat module needed)
_fsimg_mtools_env() { export MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8; }
_fsimg_fat() {
	[ $# -ge 5 ] && [ $# -le 6 ] || _fsimg_die "usage: fsimg_fat FILE SIZE_MB SEED NFILES DATA_MB [12|16|32]"
	local file=$1 size=$2 seed=$3 n=$4 data=$5 bits=${6:-32} start out del d
	_fsimg_check_args "$size" "$n" "$data"; _fsimg_need mkfs.vfat mcopy mdeltree openssl
	case $bits in 12|16|32) ;; *) _fsimg_die "FATBITS must be 12, 16 or 32";; esac
	start=$(_fsimg_now); _fsimg_traps; _fsimg_mtools_env
	del=$(_fsimg_deleted_mb "$size" "$data")
	_fsimg_mktmp
	out=$(_fsimg_py stage "$_FSIMG_TMPD" "$seed" "$n" "$data" "$del") || _fsimg_die "tree generation failed"
	_fsimg_prefill "$file" "$size" "$seed"
	mkfs.vfat -F "$bits" -n FSIMG "$file" >/dev/null || _fsimg_die "mkfs.vfat -F $bits $file failed"
	_fsimg_mcopy_in "$file" "$_FSIMG_TMPD/1"
	while IFS= read -r d; do mdeltree -i "$file" "::/$d" || _fsimg_die "mdeltree $d failed"; done <"$_FSIMG_TMPD/upd.list"
	_fsimg_mcopy_in "$file" "$_FSIMG_TMPD/2"
	_fsimg_mcopy_in "$file" "$_FSIMG_TMPD/3"
	while IFS= read -r d; do mdeltree -i "$file" "::/$d" || _fsimg_die "mdeltree $d failed"; done <"$_FSIMG_TMPD/tmp.list"
	_fsimg_report "fat$bits $file ($size MiB)" "$start" "$out"
}
_fsimg_mcopy_in() { # FILE DIR: copy DIR's content into the root
	local -a e; shopt -s nullglob dotglob; e=("$2"/*); shopt -u nullglob dotglob
	[ ${#e[@]} -eq 0 ] && return 0
	mcopy -s -Q -i "$1" "${e[@]}" :: || _fsimg_die "mcopy into $1 failed (full?)"
}

# ---------------------------------------------------------------- manifests
_fsimg_manifest_dir() {
	[ $# -ge 2 ] || _fsimg_die "usage: fsimg_manifest_dir DIR OUT [EXCLUDED_TOP_LEVEL_NAME...]"
	[ -d "$1" ] || _fsimg_die "$1 is not a directory"
	_fsimg_py manifest "$@" >/dev/null || _fsimg_die "manifest of $1 failed"
}
_fsimg_manifest_ntfs() {
	[ $# -eq 2 ] || _fsimg_die "usage: fsimg_manifest_ntfs FILE OUT"
	_fsimg_need ntfs-3g fusermount mountpoint
	_fsimg_traps; _fsimg_mkmnt
	_fsimg_ntfs_mount "$1" ro
	_fsimg_py manifest "$_FSIMG_MNT" "$2" >/dev/null || _fsimg_die "manifest of $1 failed"
	_fsimg_ntfs_umount
}
_fsimg_manifest_ext4() {
	[ $# -eq 2 ] || _fsimg_die "usage: fsimg_manifest_ext4 FILE OUT"
	_fsimg_traps; _fsimg_mkmnt
	# noload: never replay a journal, the image stays untouched (ext2 driver: no such option, no journal)
	mount -o ro,loop,noload "$1" "$_FSIMG_MNT" 2>/dev/null || mount -o ro,loop "$1" "$_FSIMG_MNT" ||
		_fsimg_die "cannot mount $1 read-only"
	_fsimg_py manifest "$_FSIMG_MNT" "$2" lost+found >/dev/null || _fsimg_die "manifest of $1 failed"
	umount "$_FSIMG_MNT" || _fsimg_die "cannot unmount $_FSIMG_MNT"
}
_fsimg_manifest_fat() {
	[ $# -eq 2 ] || _fsimg_die "usage: fsimg_manifest_fat FILE OUT"
	_fsimg_need mcopy
	_fsimg_traps; _fsimg_mtools_env; _fsimg_mktmp
	mkdir "$_FSIMG_TMPD/x"
	mcopy -s -n -Q -i "$1" ::/ "$_FSIMG_TMPD/x/" || _fsimg_die "mcopy out of $1 failed"
	_fsimg_py manifest "$_FSIMG_TMPD/x" "$2" >/dev/null || _fsimg_die "manifest of $1 failed"
}
_fsimg_manifest() {
	[ $# -eq 2 ] || _fsimg_die "usage: fsimg_manifest FILE OUT"
	local t; t=$(_fsimg_detect "$1") || exit 1
	"_fsimg_manifest_$t" "$1" "$2"
}

# prints ntfs, ext4 (any ext2/3/4) or fat
_fsimg_detect() {
	[ -r "$1" ] || _fsimg_die "cannot read $1"
	local b; b=$(od -An -tx1 -v -N 1088 "$1" | tr -d ' \n')
	if [ "${b:6:16}" = "4e54465320202020" ]; then echo ntfs                  # 'NTFS    ' at 3
	elif [ "${b:2160:4}" = "53ef" ]; then echo ext4                          # 0xEF53 at 1080
	elif [ "${b:108:6}" = "464154" ] || [ "${b:164:6}" = "464154" ]; then echo fat  # 'FAT' at 54 / 82
	else _fsimg_die "$1: unknown filesystem"; fi
}

# ---------------------------------------------------------------- fsck
# ntfsfix -n: exit 0 and "NTFS partition ... was processed successfully." on a good volume; on a
# broken one exit 1 with "Mounting volume... FAILED", "... BAD" (e.g. the backup boot sector),
# "Volume is corrupt" or "Refusing to operate on read-write mounted device". It checks the boot
# sectors, $MFT/$MFTMirr and the volume flags only; the manifest is the deep check.
_fsimg_fsck() {
	[ $# -ge 1 ] && [ $# -le 2 ] || _fsimg_die "usage: fsimg_fsck FILE [ntfs|ext4|fat]"
	local t=${2:-} out rc=0
	[ -n "$t" ] || t=$(_fsimg_detect "$1") || exit 1
	case $t in
	ntfs)
		out=$(ntfsfix -n "$1" 2>&1) || rc=$?
		if [ "$rc" -ne 0 ] || ! grep -q 'processed successfully' <<<"$out" ||
			grep -qE 'BAD|FAILED|corrupt|[Ee]rror' <<<"$out"; then
			printf '%s\n' "$out" >&2; echo "fsimg: ntfsfix -n $1: NOT clean (exit $rc)" >&2; exit 1
		fi ;;
	ext2|ext3|ext4)
		out=$(e2fsck -fn "$1" 2>&1) || rc=$?
		[ "$rc" -eq 0 ] || { printf '%s\n' "$out" >&2; echo "fsimg: e2fsck -fn $1: NOT clean (exit $rc)" >&2; exit 1; } ;;
	fat|vfat|fat12|fat16|fat32)
		out=$(fsck.fat -n "$1" 2>&1) || rc=$?
		[ "$rc" -eq 0 ] || { printf '%s\n' "$out" >&2; echo "fsimg: fsck.fat -n $1: NOT clean (exit $rc)" >&2; exit 1; } ;;
	*) _fsimg_die "fsck: unknown type $t" ;;
	esac
}

# ---------------------------------------------------------------- the generator (python3)
_fsimg_pysrc() {
	cat <<'PYEOF'
import os, sys, random, math, hashlib, subprocess, bisect, shutil, base64

MiB = 1 << 20
GENVER = 1

# ---------------------------------------------------------------- random stream
class Stream:
    """Deterministic fast PRNG: AES-128-CTR keystream from openssl."""
    def __init__(self, seed, label):
        h = hashlib.sha256(('fsimg:%s:%s' % (seed, label)).encode()).hexdigest()
        self.p = subprocess.Popen(['openssl', 'enc', '-aes-128-ctr', '-nosalt', '-K', h[:32],
                                   '-iv', h[32:64], '-in', '/dev/zero'],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        self.f = self.p.stdout
    def read(self, n):
        out = bytearray(n); mv = memoryview(out); got = 0
        while got < n:
            k = self.f.readinto(mv[got:])
            if not k:
                raise SystemExit('fsimg: openssl random stream ended')
            got += k
        return out
    def close(self):
        self.f.close(); self.p.terminate(); self.p.wait()

# ---------------------------------------------------------------- ELF pool
ELF_ROOTS = ['/usr/bin', '/usr/sbin', '/usr/lib/x86_64-linux-gnu', '/usr/libexec', '/usr/lib/gcc',
             '/usr/lib/llvm-14']
def elf_pool():
    seen = set(); pool = []
    for root in ELF_ROOTS:
        for dp, dn, fn in os.walk(root):
            dn.sort()
            for f in sorted(fn):
                p = os.path.join(dp, f)
                try:
                    st = os.lstat(p)
                    if not os.path.stat.S_ISREG(st.st_mode) or not (4096 <= st.st_size <= 32 * MiB):
                        continue
                    if (st.st_dev, st.st_ino) in seen:
                        continue
                    with open(p, 'rb') as fh:
                        if fh.read(4) != b'\x7fELF':
                            continue
                except OSError:
                    continue
                seen.add((st.st_dev, st.st_ino)); pool.append((st.st_size, p))
    if not pool:
        raise SystemExit('fsimg: no ELF files found under /usr')
    pool.sort()
    return pool

# ---------------------------------------------------------------- text
WORDS = ('shell core net win sys crypt print audio dx media sec update svc host ui api wmi ole rpc '
         'dns http ntfs kernel user gdi dwm font input usb bth wlan display power storage cloud sync '
         'store search edge office teams onedrive defender mpeng diag perf trace event log cert auth '
         'lsa sam policy group task sched boot setup msi cab zip codec video camera speech ink pen '
         'touch xaml appx pkg deploy cbs wu bits dism sxs fusion clr dotnet vc runtime redist d3d '
         'vulkan spool scan fax share smb nfs iscsi vss backup restore hid acpi pci nvme sata tpm '
         'bitlocker hyperv container sandbox remote desktop terminal console cmd powershell script '
         'registry config profile roaming cache temp install uninstall repair').split()
PROSE = ('the a of to and in is for on with that this be are from by at as an or it not will can '
         'system file service update windows driver device user data value error warning status '
         'operation completed successfully failed package component installed version required '
         'network connection security policy setting registry key configuration').split()
LEVELS = ('Info   ', 'Info   ', 'Info   ', 'Info   ', 'Warning', 'Error  ')
SRCS = ('CBS   ', 'CSI   ', 'DPX   ', 'SQM   ', 'DISM  ', 'TI    ')

class Text:
    def __init__(self, rng):
        self.r = rng
    def w(self):
        return WORDS[self.r.getrandbits(7) % len(WORDS)]
    def cw(self):
        return self.w().capitalize()
    def hexs(self, n):
        return '%0*x' % (n, self.r.getrandbits(4 * n))
    def guid(self):
        h = self.hexs(32)
        return '%s-%s-%s-%s-%s' % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
    def ver(self):
        return '10.0.19041.%d' % self.r.randrange(1, 4500)
    def date(self):
        r = self.r.getrandbits(32)
        return '20%02d-%02d-%02d %02d:%02d:%02d' % (19 + r % 6, 1 + (r >> 3) % 12, 1 + (r >> 7) % 28,
                                                     (r >> 12) % 24, (r >> 17) % 60, (r >> 23) % 60)

    def xml_lines(self):
        r = self.r; w = self.w; cw = self.cw
        yield ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<assembly xmlns="urn:schemas-'
               'microsoft-com:asm.v3" manifestVersion="1.0" copyright="Copyright (c) Microsoft Corporation.'
               ' All Rights Reserved.">\r\n  <assemblyIdentity name="Microsoft-Windows-%s-%s" version="%s" '
               'processorArchitecture="amd64" language="neutral" buildType="release" publicKeyToken='
               '"31bf3856ad364e35" versionScope="nonSxS" />\r\n' % (cw(), cw(), self.ver()))
        while True:
            k = r.getrandbits(2)
            if k == 0:
                n = w() + w()
                dg = base64.b64encode(r.getrandbits(256).to_bytes(32, 'little')).decode()
                yield ('  <file name="%s.dll" destinationPath="$(runtime.system32)\\" sourceName="%s.dll" '
                       'importPath="$(build.nttree)\\"><securityDescriptor name="WRP_FILE_DEFAULT_SDDL" />'
                       '<asmv2:hash xmlns:asmv2="urn:schemas-microsoft-com:asm.v2"><dsig:Transforms xmlns:'
                       'dsig="http://www.w3.org/2000/09/xmldsig#"><dsig:Transform Algorithm="urn:schemas-'
                       'microsoft-com:HashTransforms.Identity" /></dsig:Transforms><dsig:DigestMethod '
                       'xmlns:dsig="http://www.w3.org/2000/09/xmldsig#" Algorithm="http://www.w3.org/2000/'
                       '09/xmldsig#sha256" /><dsig:DigestValue xmlns:dsig="http://www.w3.org/2000/09/'
                       'xmldsig#">%s</dsig:DigestValue></asmv2:hash></file>\r\n' % (n, n, dg))
            elif k == 1:
                yield ('  <registryKey keyName="HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\%s\\%s">\r\n'
                       '    <registryValue name="%s" valueType="REG_DWORD" value="0x%08x" />\r\n'
                       '  </registryKey>\r\n' % (cw(), cw(), cw(), r.getrandbits(32)))
            elif k == 2:
                yield ('  <dependency discoverable="no"><dependentAssembly dependencyType="install">'
                       '<assemblyIdentity name="Microsoft-Windows-%s-%s" version="%s" processorArchitecture='
                       '"amd64" language="neutral" publicKeyToken="31bf3856ad364e35" /></dependentAssembly>'
                       '</dependency>\r\n' % (cw(), cw(), self.ver()))
            else:
                yield ('  <localization><resources culture="en-US"><stringTable><string id="%s%d" value='
                       '"%s %s %s" /></stringTable></resources></localization>\r\n'
                       % (cw(), r.getrandbits(12), cw(), w(), w()))

    def log_lines(self):
        r = self.r; w = self.w; cw = self.cw
        while True:
            k = r.getrandbits(2)
            lv = LEVELS[r.getrandbits(8) % 6]; src = SRCS[r.getrandbits(8) % 6]
            if k == 0:
                m = ('Read out cached package applicability for package: Package_for_RollupFix~31bf3856ad364e35'
                     '~amd64~~%s.1.%d, ApplicableState: 112, CurrentState:112' % (self.ver(), r.getrandbits(4)))
            elif k == 1:
                m = '%08x@%d Mark store corruption flag because of package: %s-%s [HRESULT = 0x%08x - %s]' % (
                    r.getrandbits(32), r.getrandbits(20), cw(), cw(), r.getrandbits(32),
                    'S_OK' if r.getrandbits(1) else 'E_FAIL')
            elif k == 2:
                m = 'Exec: Processing complete, session(%s): %d_%d [HRESULT = 0x00000000 - S_OK]' % (
                    cw(), r.getrandbits(30), r.getrandbits(34))
            else:
                m = '[SR] Verifying %d components, %s\\%s.%s' % (r.randrange(1, 101), cw(), w(), 'dll')
            yield '%s, %s               %s %s\r\n' % (self.date(), lv, src, m)

    def ini_lines(self):
        r = self.r; w = self.w; cw = self.cw
        yield '; %s %s configuration\r\n' % (cw(), cw())
        while True:
            yield '\r\n[%s%s]\r\n' % (cw(), cw())
            for _ in range(1 + r.getrandbits(3)):
                k = r.getrandbits(2)
                if k == 0:
                    yield '%s%s=%d\r\n' % (cw(), cw(), r.getrandbits(r.choice((1, 8, 16, 31))))
                elif k == 1:
                    yield '%s=%%SystemRoot%%\\System32\\%s%s.dll,-%d\r\n' % (cw(), w(), w(), r.getrandbits(10))
                elif k == 2:
                    yield 'HKR,,%s,0x00010001,%d\r\n' % (cw(), r.getrandbits(16))
                else:
                    yield '%s.sys = %d,,%d\r\n' % (w() + w(), 1 + r.getrandbits(2), r.getrandbits(20))

    def json_lines(self):
        r = self.r; w = self.w; cw = self.cw
        yield '{\n  "version": "%s",\n  "items": [\n' % self.ver()
        while True:
            yield ('    {"id": "%s", "name": "%s %s", "enabled": %s, "count": %d, "path": "C:\\\\Program Files'
                   '\\\\%s\\\\%s.exe", "updated": "%sZ"},\n' % (self.guid(), cw(), w(), 'true' if r.getrandbits(1)
                   else 'false', r.getrandbits(16), cw(), w(), self.date().replace(' ', 'T')))

    def txt_lines(self):
        r = self.r
        while True:
            n = 6 + r.getrandbits(4)
            s = ' '.join(PROSE[r.getrandbits(7) % len(PROSE)] for _ in range(n))
            yield s.capitalize() + ('.\r\n' if r.getrandbits(2) else '.\r\n\r\n')

    FLAVOR = {'.manifest': 'xml', '.xml': 'xml', '.config': 'xml', '.mum': 'xml', '.admx': 'xml',
              '.log': 'log', '.ini': 'ini', '.inf': 'ini', '.mof': 'ini', '.json': 'json', '.txt': 'txt',
              '.csv': 'txt', '.md': 'txt'}

    def make(self, size, ext):
        gen = getattr(self, self.FLAVOR.get(ext, 'txt') + '_lines')()
        parts = []; n = 0
        while n < size:
            s = next(gen); parts.append(s); n += len(s)
        return ''.join(parts).encode()[:size]

# ---------------------------------------------------------------- headers of 'incompressible' files
HEADERS = {'.cab': b'MSCF\0\0\0\0', '.msu': b'MSCF\0\0\0\0', '.jpg': b'\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01',
           '.zip': b'PK\x03\x04\x14\x00', '.docx': b'PK\x03\x04\x14\x00', '.xlsx': b'PK\x03\x04\x14\x00',
           '.pak': b'PK\x03\x04\x14\x00', '.png': b'\x89PNG\r\n\x1a\n', '.msi': b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1',
           '.msp': b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1', '.pdf': b'%PDF-1.7\n', '.wim': b'MSWIM\0\0\0',
           '.mp3': b'ID3\x04\0\0', '.vhdx': b'vhdxfile', '.iso': b'', '.7z': b"7z\xbc\xaf'\x1c"}

# ---------------------------------------------------------------- the plan
class Plan:
    def __init__(self, seed, nfiles, total_mb, deleted_mb, pool):
        self.rng = rng = random.Random('fsimg-plan-%s' % seed)
        self.pool = pool
        self.sizes = [s for s, p in pool]
        self.dirs = []           # all directories of the final tree (relative)
        self.spec = []           # (dir, {kind: (weight, exts)})
        self.names = {}          # dir -> set of lower-case names
        self.build_dirs(nfiles)
        total = int(total_mb * MiB)
        # byte budgets
        large_b = total // 4 if total_mb >= 256 else 0
        large = []
        rem = large_b
        while rem >= 16 * MiB and len(large) < nfiles // 4:
            s = min(rem, rng.randint(16 * MiB, 128 * MiB))
            if rem - s < 16 * MiB and rem <= 128 * MiB:
                s = rem
            large.append(s); rem -= s
        large_b -= rem
        rest = total - large_b
        m = max(0, nfiles - len(large))
        n_text = round(0.68 * m); n_elf = round(0.22 * m)
        if m >= 3:
            n_text = max(1, n_text); n_elf = max(1, n_elf)
        n_rand = max(0, m - n_text - n_elf)
        if n_rand == 0 and m >= 3:
            n_rand = 1; n_text -= 1
        # shares of the rest: text 15, elf 45, rand 15 (+ what large did not take)
        text_b = rest * 15 // 75 if large_b else rest * 20 // 100
        elf_b = rest * 45 // 75 if large_b else rest * 60 // 100
        rand_b = rest - text_b - elf_b
        files = []
        for s in self.lognormal(n_text, text_b, 1.3, 100, 64 * 1024):
            files.append(['text', s, None])
        for s, p in self.pick_elf(n_elf, elf_b):
            files.append(['elf', s, p])
        for s in self.lognormal(n_rand, rand_b, 1.5, 1024, 16 * MiB):
            files.append(['rand', s, None])
        first = rng.random() < 0.5         # alternate: half random (wim/iso-like), half database-like
        for i, s in enumerate(large):
            files.append(['large', s, 'db' if (i % 2) == first else 'rand'])
        rng.shuffle(files)
        # large files: database-like ones go to .edb/.db/.pst places, random ones to .msi/.vdm/.iso/...
        self.tree = [(self.place(k if k != 'large' else 'l' + x, x), k, s, x) for k, s, x in files]
        # deleted sets: 'updates' (written with the first half, deleted midway), 'temp' (end)
        self.updates = []; self.temp = []; self.deleted_dirs = []
        if deleted_mb > 0:
            db = int(deleted_mb * MiB)
            self.updates = self.extra_set(max(3, round(0.0072 * nfiles)), db * 2 // 3, 'upd')
            self.temp = self.extra_set(max(2, round(0.0035 * nfiles)), db - db * 2 // 3, 'tmp')

    # log-normal sizes clipped to [lo, hi] whose sum is close to budget
    def lognormal(self, n, budget, sigma, lo, hi):
        if n <= 0:
            return []
        z = [self.rng.gauss(0, 1) for _ in range(n)]
        def tot(mu):
            return sum(min(hi, max(lo, int(math.exp(mu + sigma * x)))) for x in z)
        a, b = math.log(lo) - 3 * sigma, math.log(hi) + 3 * sigma
        for _ in range(50):
            mid = (a + b) / 2
            if tot(mid) < budget: a = mid
            else: b = mid
        return [min(hi, max(lo, int(math.exp(a + sigma * x)))) for x in z]

    def pick_elf(self, n, budget):
        """n pool files whose sizes follow a log-normal spread summing to about budget."""
        sz = self.sizes; out = []
        for t in self.lognormal(n, budget, 1.6, sz[0], sz[-1]):
            j = bisect.bisect_left(sz, t)
            j = self.rng.randrange(max(0, j - 3), min(len(sz), j + 4))
            out.append(self.pool[j])
        return out

    def uname(self, d, base, ext):
        s = self.names.setdefault(d, set())
        name = base + ext; i = 2
        while name.lower() in s:
            name = '%s (%d)%s' % (base, i, ext) if ' ' in base else '%s%d%s' % (base, i, ext); i += 1
        s.add(name.lower())
        return name

    def word(self):
        return WORDS[self.rng.randrange(len(WORDS))]

    def base(self):
        r = self.rng; k = r.random(); n = r.choice((1, 1, 2, 2, 2, 3))
        ws = [self.word() for _ in range(n)]
        if k < 0.45: return ''.join(ws)
        if k < 0.70: return 'Microsoft.Windows.' + '.'.join(x.capitalize() for x in ws)
        if k < 0.85: return '-'.join(ws)
        if k < 0.95: return ''.join(ws) + str(r.randrange(2, 99))
        return ' '.join(x.capitalize() for x in ws)   # names with spaces

    def adddir(self, path, **kinds):
        if path not in self.names:
            self.names[path] = set()
            # register the name in the parent, for case-insensitive uniqueness
            parent, _, leaf = path.rpartition('/')
            self.names.setdefault(parent, set()).add(leaf.lower())
        self.dirs.append(path)
        if kinds:
            self.spec.append((path, kinds))
        return path

    def build_dirs(self, n):
        r = self.rng; A = self.adddir; hx = lambda k: '%0*x' % (k, r.getrandbits(4 * k))
        DLL = ['.dll'] * 7 + ['.exe'] * 2 + ['.sys']
        users = ['Jürgen Müller', 'José', '李华', 'Administrator'][:2 + (n >= 5000) + (n >= 20000)]
        A('Windows')
        A('Windows/System32', elf=(40, DLL), text=(3, ['.ini', '.xml', '.inf']), rand=(1, ['.cat', '.dat']))
        A('Windows/System32/drivers', elf=(10, ['.sys']))
        A('Windows/System32/drivers/etc', text=(0.2, ['.ini', '.txt']))
        A('Windows/System32/en-US', elf=(8, ['.dll.mui', '.exe.mui']))
        A('Windows/System32/wbem', elf=(4, ['.dll', '.exe']), text=(2, ['.mof']))
        A('Windows/System32/config', rand=(1, ['.dat']))
        A('Windows/SysWOW64', elf=(20, DLL), text=(1, ['.ini']))
        A('Windows/WinSxS')
        A('Windows/WinSxS/Manifests', text=(50, ['.manifest']))
        A('Windows/WinSxS/Catalogs', rand=(4, ['.cat']))
        for i in range(max(4, n // 40)):
            arch = r.choice(('amd64', 'amd64', 'wow64', 'x86', 'msil'))
            A('Windows/WinSxS/%s_microsoft-windows-%s-%s_31bf3856ad364e35_10.0.19041.%d_none_%s'
              % (arch, self.word(), self.word(), r.randrange(1, 4500), hx(16)),
              elf=(1.5, DLL), text=(0.2, ['.manifest', '.xml']))
        A('Windows/System32/DriverStore'); A('Windows/System32/DriverStore/FileRepository')
        for i in range(max(2, n // 250)):
            A('Windows/System32/DriverStore/FileRepository/%s%s.inf_amd64_%s' % (self.word(), self.word(), hx(16)),
              elf=(1, ['.sys', '.dll']), text=(0.5, ['.inf']), rand=(0.3, ['.cat']))
        A('Windows/INF', text=(12, ['.inf', '.pnf']))
        A('Windows/Logs'); A('Windows/Logs/CBS', text=(6, ['.log']))
        A('Windows/Logs/DISM', text=(2, ['.log']))
        A('Windows/Installer', rand=(6, ['.msi', '.msp']), lrand=(3, ['.msi']))
        A('Windows/Fonts', rand=(5, ['.ttf', '.fon']))
        A('Windows/Temp')
        A('Windows/SoftwareDistribution'); A('Windows/SoftwareDistribution/Download')
        A('Windows/SoftwareDistribution/DataStore', ldb=(3, ['.edb']), text=(0.5, ['.log']))
        A('Windows/Microsoft.NET'); A('Windows/Microsoft.NET/Framework64')
        A('Windows/Microsoft.NET/Framework64/v4.0.30319', elf=(8, ['.dll', '.exe']), text=(2, ['.config', '.xml']))
        for pf in ('Program Files', 'Program Files (x86)'):
            A(pf)
            for i in range(max(2, n // (300 if pf == 'Program Files' else 700))):
                v = r.choice(VENDORS); p = r.choice(PRODUCTS)
                vd = A('%s/%s' % (pf, v))
                pd = A('%s/%s/%s' % (pf, v, p), elf=(2, ['.dll', '.exe']), text=(1, ['.json', '.xml', '.config']),
                       rand=(1, ['.pak', '.dat', '.png']))
                if r.random() < 0.6:
                    ver = '%d.%d.%d.%d' % (r.randrange(1, 130), r.randrange(10), r.randrange(6000), r.randrange(300))
                    A('%s/%s' % (pd, ver), elf=(4, ['.dll']), rand=(1, ['.pak', '.bin']))
                    A('%s/%s/Locales' % (pd, ver), rand=(1, ['.pak']))
                if r.random() < 0.4:
                    A('%s/resources' % pd, rand=(2, ['.pak', '.png', '.dat']), text=(1, ['.json']))
        A('Program Files/Common Files'); A('Program Files/Common Files/microsoft shared')
        A('Program Files/Common Files/microsoft shared/ClickToRun', elf=(4, ['.dll', '.exe']), lrand=(1, ['.cab']))
        A('ProgramData'); A('ProgramData/Microsoft'); A('ProgramData/Microsoft/Windows')
        A('ProgramData/Microsoft/Windows/Start Menu'); A('ProgramData/Microsoft/Windows/Start Menu/Programs',
          rand=(2, ['.lnk']))
        A('ProgramData/Microsoft/Windows Defender'); A('ProgramData/Microsoft/Windows Defender/Definition Updates')
        A('ProgramData/Microsoft/Windows Defender/Definition Updates/{%s}' % self.guid_s(),
          rand=(2, ['.vdm']), lrand=(3, ['.vdm']))
        # the 14-level path
        deep = 'ProgramData'
        for c in ('Package Cache', '{%s}' % self.guid_s(), 'v14.38.33130', 'packages', 'vcRuntimeMinimum_amd64',
                  'payload', 'x64', 'bin', 'release', 'redist', 'locale', 'en-US', 'data'):
            deep = A(deep + '/' + c)
        self.spec.append((deep, {'text': (1, ['.xml']), 'elf': (1, ['.dll']), 'rand': (1, ['.cab'])}))
        A('Users')
        for u in users:
            h = A('Users/' + u)
            A(h + '/AppData'); A(h + '/AppData/Local'); A(h + '/AppData/Roaming'); A(h + '/AppData/LocalLow')
            A(h + '/AppData/Local/Temp')
            for i in range(max(1, n // 1500)):
                v = r.choice(VENDORS); p = r.choice(PRODUCTS)
                A('%s/AppData/Local/%s' % (h, v))
                a = A('%s/AppData/Local/%s/%s' % (h, v, p), text=(2, ['.json', '.log']))
                A(a + '/User Data'); A(a + '/User Data/Default', text=(1, ['.json', '.log']), ldb=(0.2, ['.db', '.sqlite']))
                A(a + '/User Data/Default/Cache'); A(a + '/User Data/Default/Cache/Cache_Data', rand=(6, ['']))
                A('%s/AppData/Roaming/%s' % (h, v)); A('%s/AppData/Roaming/%s/%s' % (h, v, p), text=(2, ['.xml', '.ini', '.json']))
            A(h + '/Documents', rand=(3, ['.docx', '.xlsx', '.pdf']), text=(1, ['.txt', '.csv']), ldb=(1, ['.pst']))
            A(h + '/Documents/Bücher für Übersetzung', rand=(1, ['.pdf']), text=(0.5, ['.txt']))
            A(h + '/Documents/中文文档', text=(0.5, ['.txt']), rand=(0.5, ['.docx']))
            A(h + '/Pictures')
            for y in range(2017, 2017 + max(1, min(7, n // 2000))):
                A('%s/Pictures/%d' % (h, y), rand=(3, ['.jpg', '.png']))
            A(h + '/Downloads', rand=(3, ['.zip', '.7z', '.msi']), elf=(1, ['.exe']), lrand=(1, ['.iso', '.zip', '.vhdx']))
            A(h + '/Desktop', text=(0.5, ['.txt']), rand=(0.5, ['.lnk']))
            A(h + '/Music', rand=(1, ['.mp3']))
        self.users = users

    def guid_s(self):
        h = '%032X' % self.rng.getrandbits(128)
        return '%s-%s-%s-%s-%s' % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    def place(self, kind, extra, dirs=None):
        r = self.rng
        cands = [(d, k[kind]) for d, k in (dirs or self.spec) if kind in k]
        if not hasattr(self, '_cum'):
            self._cum = {}
        key = (kind, id(dirs))
        if key not in self._cum:
            acc = 0; cum = []
            for d, (w, ex) in cands:
                acc += w; cum.append(acc)
            self._cum[key] = (cands, cum)
        cands, cum = self._cum[key]
        i = bisect.bisect_right(cum, r.random() * cum[-1])
        d, (w, exts) = cands[min(i, len(cands) - 1)]
        ext = r.choice(exts)
        if kind == 'rand' and ext == '':
            base = 'f_%06x' % r.getrandbits(24)
        elif kind == 'text' and ext == '.manifest':
            base = '%s_microsoft-windows-%s_31bf3856ad364e35_%s_none_%016x' % (
                r.choice(('amd64', 'wow64', 'x86')), self.base().lower().replace(' ', '-'),
                '10.0.19041.%d' % r.randrange(1, 4500), r.getrandbits(64))
        elif kind == 'text' and ext == '.txt' and r.random() < 0.15:
            base = r.choice(('Résumé', 'Überblick', 'Notizen für Jürgen', '说明', '中文 笔记', 'naïve café'))
        else:
            base = self.base()
        return d + '/' + self.uname(d, base, ext)

    def extra_set(self, n, budget, what):
        r = self.rng
        if what == 'upd':
            parent = 'Windows/SoftwareDistribution/Download'
            subs = ['%s/%032x' % (parent, r.getrandbits(128)) for _ in range(max(1, n // 8))]
            mix = [('rand', ['.cab', '.msu', '.psf']), ('rand', ['.cab', '.msu']), ('elf', ['.dll', '.exe']),
                   ('text', ['.xml', '.mum'])]
        else:
            parent = 'Users/%s/AppData/Local/Temp' % self.users[0]
            subs = ['%s/{%s}' % (parent, self.guid_s()) for _ in range(max(1, n // 6))]
            mix = [('rand', ['.tmp']), ('elf', ['.exe', '.dll']), ('text', ['.log', '.txt'])]
        for s in subs:
            self.names[s] = set()
        self.deleted_dirs.extend(subs)
        kinds = [r.choice(mix) for _ in range(n)]
        out = []
        nel = sum(1 for k, e in kinds if k == 'elf')
        elfs = iter(self.pick_elf(nel, budget * 3 // 10))
        others = self.lognormal(n - nel, budget - budget * 3 // 10, 1.2, 4096, 128 * MiB)
        oi = iter(others)
        for k, exts in kinds:
            d = r.choice(subs); ext = r.choice(exts)
            if k == 'elf':
                s, p = next(elfs)
            else:
                s, p = next(oi), None
                if k == 'text':
                    k = 'text' if s <= 1 * MiB else 'rand'
            out.append((d + '/' + self.uname(d, self.base(), ext), k, s, p))
        return out

VENDORS = ['Microsoft', 'Google', 'Mozilla Firefox', 'Adobe', 'Intel', 'NVIDIA Corporation', 'Realtek', 'Oracle',
           'VideoLAN', '7-Zip', 'Notepad++', 'WindowsApps', 'Git', 'Python311', 'dotnet', 'Zoom', 'Dropbox']
PRODUCTS = ['Office16', 'Edge', 'Chrome', 'Firefox', 'Acrobat Reader DC', 'Teams', 'OneDrive', 'Graphics Driver',
            'Audio', 'Java', 'VLC', 'Update', 'Shared', 'Runtime', 'Tools', 'Client', 'Application']

# ---------------------------------------------------------------- writer
class Writer:
    def __init__(self, seed, label, pool):
        self.rs = Stream(seed, label)
        self.rng = random.Random('fsimg-content-%s-%s' % (seed, label))
        self.text = Text(self.rng)
        self.pool = pool
        self._tpool = None; self._bpool = None
        self.nfiles = 0; self.nbytes = 0

    def tpool(self):
        if self._tpool is None:
            parts = []; n = 0
            for ext in ('.manifest', '.log', '.ini', '.json', '.txt', '.xml') * 8:
                b = self.text.make(self.rng.randint(32 * 1024, 160 * 1024), ext); parts.append(b); n += len(b)
            self._tpool = b''.join(parts)
        return self._tpool

    def bpool(self):
        if self._bpool is None:
            parts = []; n = 0; r = random.Random(self.rng.random())
            while n < 24 * MiB:
                s, p = self.pool[r.randrange(len(self.pool))]
                with open(p, 'rb') as f:
                    b = f.read(4 * MiB)
                parts.append(b); n += len(b)
            self._bpool = b''.join(parts)
        return self._bpool

    def slice(self, buf, n):
        o = self.rng.randrange(0, max(1, len(buf) - n)) & ~4095
        return buf[o:o + n]

    def chunks(self, kind, size, extra, ext):
        if kind == 'text':
            yield self.text.make(size, ext)
        elif kind == 'elf':
            with open(extra, 'rb') as f:
                while True:
                    b = f.read(MiB)
                    if not b: break
                    yield b
        elif kind == 'rand' or (kind == 'large' and extra == 'rand'):
            hdr = HEADERS.get(ext, b'')[:size]
            if hdr: yield hdr
            left = size - len(hdr)
            while left > 0:
                k = min(left, MiB); yield self.rs.read(k); left -= k
        else:   # database-like: 64 KiB pages, 30% zero, 30% text, 20% binary, 20% random
            left = size; P = 65536; r = self.rng
            while left > 0:
                buf = bytearray()
                while len(buf) < MiB and left > len(buf):
                    k = min(P, left - len(buf)); x = r.random()
                    if x < 0.30: buf += bytes(k)
                    elif x < 0.60: buf += self.slice(self.tpool(), k)
                    elif x < 0.80: buf += self.slice(self.bpool(), k)
                    else: buf += self.rs.read(k)
                yield buf; left -= len(buf)

    def write(self, root, rel, kind, size, extra):
        ext = os.path.splitext(rel)[1].lower()
        path = os.path.join(root, rel)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            n = 0
            for b in self.chunks(kind, size, extra, ext):
                mv = memoryview(b)
                while mv:
                    k = os.write(fd, mv); mv = mv[k:]
                n += len(b)
        finally:
            os.close(fd)
        self.nfiles += 1; self.nbytes += n

    def write_all(self, root, entries, conc=1):
        """Write entries in order; with conc > 1, files of 256 KiB and more are written
        concurrently, conc at a time, in alternating 256 KiB pieces (downloads, installers and
        caches growing together): that is what fragments files on ntfs-3g, whose allocator
        otherwise picks the largest free run and keeps files contiguous."""
        if conc <= 1:
            for e in entries:
                self.write(root, *e)
            return
        active = []
        def step():
            for a in list(active):
                b = next(a[1], None)
                if b is None:
                    os.close(a[0]); active.remove(a); self.nfiles += 1
                else:
                    mv = memoryview(b)
                    while mv:
                        k = os.write(a[0], mv); mv = mv[k:]
                    self.nbytes += len(b)
        for rel, kind, size, extra in entries:
            if size < 256 * 1024:
                self.write(root, rel, kind, size, extra)
                continue
            fd = os.open(os.path.join(root, rel), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            active.append((fd, self.pieces(kind, size, extra, os.path.splitext(rel)[1].lower())))
            while len(active) >= conc:
                step()
        while active:
            step()

    def pieces(self, kind, size, extra, ext, n=256 * 1024):
        for b in self.chunks(kind, size, extra, ext):
            for o in range(0, len(b), n):
                yield b[o:o + n]

    def close(self):
        self.rs.close()

def mkdirs(root, dirs):
    for d in dirs:
        os.makedirs(os.path.join(root, d), exist_ok=True)

def rmtree(root, d):
    shutil.rmtree(os.path.join(root, d))

def stats(plan, w, deleted):
    print('files=%d' % len(plan.tree))
    print('dirs=%d' % len(set(plan.dirs)))
    print('bytes=%d' % sum(s for p, k, s, x in plan.tree))
    for kind in ('text', 'elf', 'rand', 'large'):
        print('%s_files=%d' % (kind, sum(1 for p, k, s, x in plan.tree if k == kind)))
        print('%s_bytes=%d' % (kind, sum(s for p, k, s, x in plan.tree if k == kind)))
    print('deleted_files=%d' % (len(plan.updates) + len(plan.temp) if deleted else 0))
    print('deleted_bytes=%d' % (sum(s for p, k, s, x in plan.updates + plan.temp) if deleted else 0))

def manifest(root, out, excludes):
    """'<sha256>  path' for each file, 'dir  path/' for each directory, sorted by path."""
    ent = []
    root = os.path.abspath(root)
    for dp, dn, fn in os.walk(root):
        rel = os.path.relpath(dp, root)
        rel = '' if rel == '.' else rel + '/'
        if rel == '':
            dn[:] = [d for d in dn if d not in excludes]
        for d in dn:
            if os.path.islink(os.path.join(dp, d)):
                ent.append((rel + d, 'link  %s -> %s' % (rel + d, os.readlink(os.path.join(dp, d)))))
            else:
                ent.append((rel + d + '/', 'dir  %s/' % (rel + d)))
        for f in fn:
            p = os.path.join(dp, f)
            if os.path.islink(p):
                ent.append((rel + f, 'link  %s -> %s' % (rel + f, os.readlink(p))))
            elif not os.path.isfile(p):
                ent.append((rel + f, 'other  %s' % (rel + f)))
            else:
                h = hashlib.sha256()
                with open(p, 'rb', buffering=0) as fh:
                    while True:
                        b = fh.read(MiB)
                        if not b: break
                        h.update(b)
                ent.append((rel + f, '%s  %s' % (h.hexdigest(), rel + f)))
    ent.sort(key=lambda e: e[0].encode('utf-8', 'surrogateescape'))
    with open(out, 'w', encoding='utf-8', errors='surrogateescape') as f:
        for k, line in ent:
            f.write(line + '\n')
    nf = sum(1 for k, l in ent if not l.startswith(('dir  ', 'link  ', 'other  ')))
    print('files=%d\ndirs=%d' % (nf, sum(1 for k, l in ent if l.startswith('dir  '))))

def main():
    mode = sys.argv[1]
    if mode == 'manifest':
        return manifest(sys.argv[2], sys.argv[3], sys.argv[4:])
    if mode == 'prefill':
        return prefill(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    root, seed, nfiles, total_mb = sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    deleted_mb = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
    pool = elf_pool()
    plan = Plan(seed, nfiles, total_mb, deleted_mb if mode != 'tree' else 0, pool)
    w = Writer(seed, mode, pool)
    half = len(plan.tree) // 2
    part1, part2 = plan.tree[:half], plan.tree[half:]
    def interleave(a, b):
        out = []; j = 0
        for i, e in enumerate(a):
            while j < len(b) and j * len(a) <= i * len(b):
                out.append(b[j]); j += 1
            out.append(e)
        out.extend(b[j:])
        return out
    if mode == 'tree':
        mkdirs(root, plan.dirs)
        for e in plan.tree: w.write(root, *e)
    elif mode == 'fs1':
        # phase 1: updates interleaved with the first half, then the updates deleted. The caller
        # remounts before phase 2: ntfs-3g allocates forward from where it last allocated and
        # only starts again from the front of the volume on a new mount, so it is the remount
        # that makes phase 2 fill (and fragment into) the holes.
        mkdirs(root, plan.dirs); mkdirs(root, plan.deleted_dirs)
        w.write_all(root, interleave(part1, plan.updates), 2)
        for d in plan.deleted_dirs:
            if d.startswith('Windows/SoftwareDistribution/'): rmtree(root, d)
    elif mode == 'fs2':
        w.write_all(root, part2 + plan.temp, 2)
        for d in plan.deleted_dirs:
            if not d.startswith('Windows/SoftwareDistribution/'): rmtree(root, d)
    elif mode == 'stage':
        # stage/1: tree dirs + updates + first half; stage/2: second half; stage/3: temp;
        # stage/upd.list and stage/tmp.list: directories to delete after 1 and after 3
        s1, s2, s3 = (os.path.join(root, x) for x in '123')
        mkdirs(s1, plan.dirs)
        upd = [d for d in plan.deleted_dirs if d.startswith('Windows/SoftwareDistribution/')]
        tmp = [d for d in plan.deleted_dirs if d not in upd]
        mkdirs(s1, upd); mkdirs(s2, plan.dirs); mkdirs(s3, tmp)
        for e in interleave(part1, plan.updates): w.write(s1, *e)
        for e in part2: w.write(s2, *e)
        for e in plan.temp: w.write(s3, *e)
        with open(os.path.join(root, 'upd.list'), 'w') as f: f.write(''.join(d + '\n' for d in upd))
        with open(os.path.join(root, 'tmp.list'), 'w') as f: f.write(''.join(d + '\n' for d in tmp))
    else:
        raise SystemExit('fsimg: unknown mode ' + mode)
    w.close()
    if mode != 'fs1':
        stats(plan, w, mode != 'tree')

def prefill(path, size_mb, seed):
    """Previous-life data, 1 MiB chunks: 45% random, 35% binary, 15% text, 5% zero (left sparse)."""
    pool = elf_pool()
    rng = random.Random('fsimg-prefill-%s' % seed)
    rs = Stream(seed, 'prefill')
    tw = Writer.__new__(Writer); tw.rng = random.Random('fsimg-prefill-text-%s' % seed)
    tw.text = Text(tw.rng); tw._tpool = None
    tp = tw.tpool()
    order = list(range(len(pool))); rng.shuffle(order); pi = 0
    src = None; counts = [0, 0, 0, 0]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.ftruncate(fd, size_mb * MiB)
        for c in range(size_mb):
            x = rng.random()
            if x < 0.45: b = rs.read(MiB); counts[0] += 1
            elif x < 0.80:
                b = b''
                while len(b) < MiB:
                    if src is None:
                        src = open(pool[order[pi % len(order)]][1], 'rb'); pi += 1
                    k = src.read(MiB - len(b))
                    if not k: src.close(); src = None
                    b += k
                counts[1] += 1
            elif x < 0.95:
                o = rng.randrange(len(tp) - MiB); b = tp[o:o + MiB]; counts[2] += 1
            else:
                counts[3] += 1; continue
            os.pwrite(fd, b, c * MiB)
    finally:
        os.close(fd)
        if src: src.close()
        rs.close()
    print('prefill_random_mb=%d\nprefill_binary_mb=%d\nprefill_text_mb=%d\nprefill_zero_mb=%d' % tuple(counts))

main()
PYEOF
}
