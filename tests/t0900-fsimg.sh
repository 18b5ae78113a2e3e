#!/bin/bash
# t0900-fsimg.sh - TAP test of tests/lib/fsimg.sh, the test-filesystem generator: file and
# directory counts, fsck, determinism, old data left in free space, and that the manifests
# notice a one-byte change.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/fsimg.sh

T=$(mktemp -d /dev/shm/t0900.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

n=0
ok()   { n=$((n + 1)); echo "ok $n - $1"; }
nok()  { n=$((n + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
stat_of() { sed -n "s/^$2=//p" "$1"; }                  # stat_of STATSFILE KEY
files_in() { grep -vc '^dir  ' "$1"; }                 # files in a manifest
dirs_in() { grep -c '^dir  ' "$1"; }

# Bytes of the image in 4 KiB blocks that are not all zero, minus the bytes in use, must be at
# least half the free space: the free space holds old data (prefill, deleted files), not zeros.
free_is_old_data() { # IMAGE FREE_BYTES
	"$FSIMG_PYTHON" - "$1" "$2" <<'EOF'
import os, sys
path, free = sys.argv[1], int(sys.argv[2])
size = os.path.getsize(path); z = bytes(4096); nz = 0
with open(path, 'rb') as f:
    while True:
        b = f.read(1 << 20)
        if not b: break
        nz += sum(4096 for o in range(0, len(b), 4096) if b[o:o + 4096] != z[:len(b) - o])
used = size - free
print('# %s: %d bytes, %d free, %d in non-zero blocks, %d non-zero beyond the used bytes'
      % (os.path.basename(path), size, free, nz, nz - used))
sys.exit(0 if nz - used > free // 2 else 1)
EOF
}
free_bytes() { # IMAGE TYPE
	case $2 in
	ntfs) ntfsinfo -m "$1" 2>/dev/null | awk '/Cluster Size:/ { c = $3 } /Free Clusters:/ { f = $3 } END { print c * f }' ;;
	ext4) dumpe2fs -h "$1" 2>/dev/null | awk -F: '/^Block size/ { b = $2 } /^Free blocks/ { f = $2 } END { print b * f }' ;;
	fat) MTOOLS_SKIP_CHECK=1 mdir -i "$1" :: | sed -n 's/ bytes free//p' | tr -d ' ' ;;
	esac
}

# the counts in a manifest match what the generator reported
counts_match() { # MANIFEST STATS
	local f d ef ed
	f=$(files_in "$1"); d=$(dirs_in "$1"); ef=$(stat_of "$2" files); ed=$(stat_of "$2" dirs)
	[ "$f" = "$ef" ] && [ "$d" = "$ed" ] && return 0
	echo "# manifest has $f files, $d dirs; generator reported $ef files, $ed dirs"; return 1
}

# ---------------------------------------------------------------- plain trees
FSIMG_STATS=$T/tree.stats fsimg_tree "$T/treeA" 7 1500 20 2>"$T/log" || cat "$T/log"
fsimg_manifest_dir "$T/treeA" "$T/treeA.m"
check "fsimg_tree writes exactly NFILES files (and the directories it reports)" \
	eval '[ "$(files_in "$T/treeA.m")" = 1500 ] && counts_match "$T/treeA.m" "$T/tree.stats"'
fsimg_tree "$T/treeB" 7 1500 20 2>/dev/null
fsimg_manifest_dir "$T/treeB" "$T/treeB.m"
check "the same seed gives the same tree (names and contents)" cmp -s "$T/treeA.m" "$T/treeB.m"
rm -rf "$T/treeB"
fsimg_tree "$T/treeC" 8 1500 20 2>/dev/null
fsimg_manifest_dir "$T/treeC" "$T/treeC.m"
check "another seed gives another tree" eval '! cmp -s "$T/treeA.m" "$T/treeC.m"'
rm -rf "$T/treeC"
deep=$(awk '/^dir  / { p = substr($0, 6); k = gsub("/", "/", p); if (k > m) m = k } END { print m }' "$T/treeA.m")
check "the tree has a 14-level path ($deep), spaces and non-ASCII names" eval \
	'[ "$deep" -ge 14 ] && grep -q "Program Files (x86)/" "$T/treeA.m" && grep -q "é" "$T/treeA.m" &&
	 grep -q "ü" "$T/treeA.m" && grep -q "中文" "$T/treeA.m"'
tb=$(stat_of "$T/tree.stats" bytes)
check "the tree holds about TOTAL_MB of data ($tb bytes for 20 MiB)" \
	eval '[ "$tb" -gt $((19 * 1048576)) ] && [ "$tb" -lt $((22 * 1048576)) ]'
# one byte changed in a copy: the manifests differ in exactly that file
cp -a "$T/treeA" "$T/treeM"
victim=$(grep -v '^dir  ' "$T/treeA.m" | awk 'NR == 100 { print substr($0, 67) }')
"$FSIMG_PYTHON" -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(0); b = f.read(1); f.seek(0); f.write(bytes([b[0] ^ 1]))' "$T/treeM/$victim"
fsimg_manifest_dir "$T/treeM" "$T/treeM.m"
check "fsimg_manifest_dir notices one changed byte (in '$victim')" \
	eval '[ "$(diff "$T/treeA.m" "$T/treeM.m" | grep -c "^[<>]")" = 2 ] && diff "$T/treeA.m" "$T/treeM.m" | grep -qF "$victim"'
rm -rf "$T/treeA" "$T/treeM"

# ---------------------------------------------------------------- NTFS (ntfs-3g)
if [ "$(id -u)" -ne 0 ] || [ ! -e /dev/fuse ] || ! command -v ntfs-3g >/dev/null; then
	for _ in 1 2 3 4 5 6 7; do skip "NTFS needs root, /dev/fuse and ntfs-3g"; done
else
	s=$(date +%s.%N)
	FSIMG_STATS=$T/ntfs.stats fsimg_ntfs "$T/ntfs.img" 96 1 3000 40 2>"$T/log"; rc=$?
	secs=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	sed 's/^/# /' "$T/log"
	check "fsimg_ntfs: 96 MiB, 3000 files, 40 MiB in ${secs} s (target < 15 s)" \
		eval '[ $rc -eq 0 ] && [ "$(stat -c %s "$T/ntfs.img")" = $((96 * 1048576)) ] &&
		      awk -v s="$secs" "BEGIN { exit !(s < 15) }"'
	check "NTFS is clean (ntfsfix -n)" fsimg_fsck "$T/ntfs.img" ntfs
	fsimg_manifest_ntfs "$T/ntfs.img" "$T/ntfs.m"
	check "NTFS holds all 3000 files and the directories" \
		eval 'counts_match "$T/ntfs.m" "$T/ntfs.stats" && [ "$(files_in "$T/ntfs.m")" = 3000 ] &&
		      [ "$(stat_of "$T/ntfs.stats" deleted_files)" -gt 0 ]'
	check "NTFS free space holds old data" free_is_old_data "$T/ntfs.img" "$(free_bytes "$T/ntfs.img" ntfs)"
	fsimg_ntfs "$T/ntfs2.img" 96 1 3000 40 2>/dev/null
	fsimg_manifest "$T/ntfs2.img" "$T/ntfs2.m"
	check "NTFS made twice with the same seed: identical manifests" cmp -s "$T/ntfs.m" "$T/ntfs2.m"
	# flip one byte of a file's data in the raw image (its first cluster, from the runlist)
	victim=$(awk '/\.dll$/ && !/^dir/ { print substr($0, 67) }' "$T/ntfs.m" | head -20 | while IFS= read -r f; do
		lcn=$(ntfsinfo -v -F "/$f" "$T/ntfs2.img" 2>/dev/null | awk '/Runlist:/ { getline; print $2; exit }')
		[ -n "$lcn" ] && { echo "$lcn $f"; break; }; done)
	lcn=${victim%% *}; victim=${victim#* }
	if [ -n "$lcn" ]; then
		"$FSIMG_PYTHON" -c 'import sys; f = open(sys.argv[1], "r+b"); o = int(sys.argv[2], 0) * 4096 + 17
f.seek(o); b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 0x40]))' "$T/ntfs2.img" "$lcn"
		fsimg_manifest_ntfs "$T/ntfs2.img" "$T/ntfs2.m"
	fi
	check "fsimg_manifest_ntfs notices one byte changed in the image (in '$victim')" \
		eval '[ -n "$lcn" ] && [ "$(diff "$T/ntfs.m" "$T/ntfs2.m" | grep -c "^[<>]")" = 2 ] &&
		      diff "$T/ntfs.m" "$T/ntfs2.m" | grep -qF "$victim"'
	# the trap partclone.ntfs falls into: the backup boot sector (last sector) missing
	truncate -s 0 "$T/ntfs2.img"; cp --sparse=always "$T/ntfs.img" "$T/ntfs2.img"
	dd if=/dev/zero of="$T/ntfs2.img" bs=512 seek=$((96 * 2048 - 1)) count=1 conv=notrunc status=none
	check "fsimg_fsck fails on an NTFS without its backup boot sector" \
		eval '! fsimg_fsck "$T/ntfs2.img" 2>/dev/null'
	rm -f "$T/ntfs.img" "$T/ntfs2.img"
fi

# ---------------------------------------------------------------- ext4 (loop mount)
if [ "$(id -u)" -ne 0 ]; then
	for _ in 1 2 3; do skip "ext4 needs root (loop mount)"; done
else
	FSIMG_STATS=$T/ext4.stats fsimg_ext4 "$T/ext4.img" 64 2 1000 24 2>"$T/log"; rc=$?
	sed 's/^/# /' "$T/log"
	check "ext4 is clean (e2fsck -fn)" eval '[ $rc -eq 0 ] && fsimg_fsck "$T/ext4.img" ext4'
	fsimg_manifest_ext4 "$T/ext4.img" "$T/ext4.m"
	check "ext4 holds all 1000 files and the directories" \
		eval 'counts_match "$T/ext4.m" "$T/ext4.stats" && [ "$(files_in "$T/ext4.m")" = 1000 ]'
	check "ext4 free space holds old data" free_is_old_data "$T/ext4.img" "$(free_bytes "$T/ext4.img" ext4)"
	rm -f "$T/ext4.img"
fi

# ---------------------------------------------------------------- FAT16 and FAT32 (mtools)
for bits in 16 32; do
	FSIMG_STATS=$T/fat.stats fsimg_fat "$T/fat.img" 64 3 800 24 $bits 2>"$T/log"; rc=$?
	sed 's/^/# /' "$T/log"
	check "FAT$bits is clean (fsck.fat -n)" eval '[ $rc -eq 0 ] && fsimg_fsck "$T/fat.img" fat'
	fsimg_manifest_fat "$T/fat.img" "$T/fat.m"
	check "FAT$bits holds all 800 files and the directories" \
		eval 'counts_match "$T/fat.m" "$T/fat.stats" && [ "$(files_in "$T/fat.m")" = 800 ]'
	check "FAT$bits free space holds old data" free_is_old_data "$T/fat.img" "$(free_bytes "$T/fat.img" fat)"
	check "fsimg_detect says fat for FAT$bits" eval '[ "$(fsimg_detect "$T/fat.img")" = fat ]'
	rm -f "$T/fat.img"
done

echo "1..$n"
