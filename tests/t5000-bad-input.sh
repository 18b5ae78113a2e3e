#!/bin/bash
# t5000-bad-input: corrupt, truncated and foreign images, a target that is too
# small, a dirty or hibernated NTFS, an existing output: a clear error, nothing lost.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/fsimg.sh"
make_scratch; D=$SCRATCH
CC=$CLONECAST

fsimg_ext4 "$D/src.img" 32 31 300 6 >/dev/null 2>&1; ok $? "made an ext4"
"$CC" save-part -q -z none "$D/src.img" "$D/img.pcl"; ok $? "saved it uncompressed"
"$CC" save-part -q -z zstd "$D/src.img" "$D/img.zst"; ok $? "saved it with zstd"
"$CC" save-part -q -z gzip "$D/src.img" "$D/img.gz"; ok $? "saved it with gzip"
size=$(stat -c %s "$D/img.pcl")
bs=$("$CC" info "$D/img.pcl" | sed -n 's/^block_size: //p')
total=$("$CC" info "$D/img.pcl" | sed -n 's/^blocks_total: //p')
data=$(( 110 + (total + 7) / 8 + 4 ))   # first byte of block data

# A flipped byte in a data block: check and restore name the block.
off=$(( data + 5 * bs + 100 ))
cp "$D/img.pcl" "$D/flip.pcl"
flip_byte "$D/flip.pcl" $off
check_fails "flipped data byte: check fails naming the blocks" "checksum.*block" "$CC" check -q "$D/flip.pcl"
rm -f "$D/t"; check_fails "flipped data byte: restore fails naming the blocks" "checksum.*block" "$CC" restore-part -q "$D/flip.pcl" "$D/t"
zstd -q -c "$D/flip.pcl" > "$D/flip.zst"
check_fails "flipped data byte inside a zstd image: check fails" "checksum.*block" "$CC" check -q "$D/flip.zst"
# A flipped byte in the compressed stream itself.
cp "$D/img.zst" "$D/cflip.zst"; flip_byte "$D/cflip.zst" $(( $(stat -c %s "$D/img.zst") / 2 ))
check_fails "flipped byte in a zstd stream: check fails" "corrupt|checksum" "$CC" check -q "$D/cflip.zst"
cp "$D/img.gz" "$D/cflip.gz"; flip_byte "$D/cflip.gz" $(( $(stat -c %s "$D/img.gz") / 2 ))
check_fails "flipped byte in a gzip stream: check fails" "corrupt|checksum|invalid" "$CC" check -q "$D/cflip.gz"
# A zstd frame that decodes to fewer bytes than its header declares (found by fuzzing).
check_fails "zstd frame shorter than it declares: refused" "declares|corrupt" "$CC" check -q --raw "$TOP/tests/fixtures/zstd-frame-shorter-than-declared.zst"
# Header and bitmap damage.
cp "$D/img.pcl" "$D/hdr.pcl"; flip_byte "$D/hdr.pcl" 70
check_fails "damaged header: refused" "header" "$CC" check -q "$D/hdr.pcl"
cp "$D/img.pcl" "$D/bm.pcl"; flip_byte "$D/bm.pcl" 200
check_fails "damaged bitmap: refused" "bitmap" "$CC" check -q "$D/bm.pcl"

# Truncated images, uncompressed and compressed, at several points.
for cut in 50 109 $(( data - 2 )) $(( data + 3 * bs )) $(( size - 2 )); do
	head -c $cut "$D/img.pcl" > "$D/cut.pcl"
	check_fails "image cut at byte $cut of $size: check fails" "truncated|ends|incomplete" "$CC" check -q "$D/cut.pcl"
	rm -f "$D/t"; check_fails "image cut at byte $cut: restore fails" "truncated|ends|incomplete" "$CC" restore-part -q "$D/cut.pcl" "$D/t"
done
for z in zst gz; do
	head -c $(( $(stat -c %s "$D/img.$z") * 2 / 3 )) "$D/img.$z" > "$D/cut.$z"
	check_fails "$z image cut at 2/3: check fails" "truncated|ends|incomplete" "$CC" check -q "$D/cut.$z"
	head -c $(( $(stat -c %s "$D/img.$z") - 4 )) "$D/img.$z" > "$D/cut.$z"
	check_fails "$z image without its last 4 bytes: check fails" "truncated|ends|incomplete" "$CC" check -q "$D/cut.$z"
done
cat "$D/img.pcl" /dev/null > "$D/extra.pcl"; printf 'garbage' >> "$D/extra.pcl"
check_fails "trailing garbage after the last block: check fails" "trailing" "$CC" check -q "$D/extra.pcl"
: > "$D/empty"
check_fails "empty input: check fails" "empty|truncated|no data|unknown" "$CC" check -q "$D/empty"
printf 'Hello, this is a text file and not a disk image at all.\n%.0s' $(seq 1 200) > "$D/text"
rm -f "$D/t"; check_fails "a text file is not restored as a raw image" "raw|format|not a" "$CC" restore-part -q "$D/text" "$D/t"
ok $([ ! -e "$D/t" ] && echo 0 || echo 1) "and no target file was created for it"

# A target smaller than the filesystem: refused before anything is written.
truncate -s 16M "$D/small"; head -c 4096 /dev/urandom | dd of="$D/small" conv=notrunc status=none
before=$(sha256sum < "$D/small")
check_fails "target smaller than the filesystem: refused with both sizes" "16777216.*33554432|smaller|larger" "$CC" restore-part -q "$D/img.zst" "$D/small"
is "$(sha256sum < "$D/small")" "$before" "the small target was not touched"
# A loop device that is too small, too.
if losetup -f >/dev/null 2>&1; then
	loop=$(losetup -f --show "$D/small") && at_exit "losetup -d $loop"
	check_fails "small block device: refused" "smaller|larger" "$CC" restore-part -q "$D/img.pcl" "$loop"
	is "$(sha256sum < "$D/small")" "$before" "the small block device was not touched"
else
	skip "no loop devices"; skip "no loop devices"
fi

# Mounted filesystems: never saved while mounted read-write, never written to.
mkdir -p "$D/mnt"
if mount -o loop "$D/src.img" "$D/mnt" 2>/dev/null; then
	at_exit "umount '$D/mnt'"
	loopdev=$(findmnt -n -o SOURCE "$D/mnt")
	check_fails "saving a filesystem mounted read-write: refused" "mounted read-write" "$CC" save-part -q "$D/src.img" "$D/m.pcl"
	check_fails "saving its loop device: refused" "mounted read-write" "$CC" save-part -q "$loopdev" "$D/m.pcl"
	check_fails "restoring onto a mounted loop device: refused" "is mounted on" "$CC" restore-part -q "$D/img.pcl" "$loopdev"
	check_fails "restoring onto the file behind a mounted loop device: refused" "is mounted on" "$CC" restore-part -q "$D/img.pcl" "$D/src.img"
	mount -o remount,ro "$D/mnt"
	check "saving it mounted read-only is allowed" "$CC" save-part -q "$D/src.img" "$D/m.pcl"
	umount "$D/mnt"
else
	for i in 1 2 3 4 5; do skip "cannot loop-mount here"; done
fi

# Dirty and hibernated NTFS.
truncate -s 32M "$D/ntfs.img"; mkntfs -F -q -Q "$D/ntfs.img" >/dev/null 2>&1
cp "$D/ntfs.img" "$D/dirty.img"; "$HELPERS/ntfs-mark-dirty" "$D/dirty.img" >/dev/null 2>&1
check_fails "dirty NTFS: refused, telling to run chkdsk" "chkdsk" "$CC" save-part -q "$D/dirty.img" "$D/dirty.pcl"
ok $([ ! -e "$D/dirty.pcl" ] && echo 0 || echo 1) "no image left behind"
check "dirty NTFS: saved with --force" "$CC" save-part -q --force "$D/dirty.img" "$D/dirty.pcl"
cp "$D/ntfs.img" "$D/hiber.img"
printf 'HIBR' > "$D/hiberfil"; head -c 8188 /dev/zero >> "$D/hiberfil"
ntfscp -f "$D/hiber.img" "$D/hiberfil" hiberfil.sys >/dev/null 2>&1
check_fails "hibernated NTFS: refused, telling to shut down fully" "[Ss]hut" "$CC" save-part -q "$D/hiber.img" "$D/hiber.pcl"

# An existing output is not overwritten without --overwrite; a failed save leaves nothing.
echo precious > "$D/exists.pcl"
check_fails "existing output refused" "exists" "$CC" save-part -q "$D/src.img" "$D/exists.pcl"
is "$(cat "$D/exists.pcl")" precious "existing output untouched"
check "--overwrite replaces it" "$CC" save-part -q --overwrite "$D/src.img" "$D/exists.pcl"
check_fails "missing source: clear error" "cannot open|No such" "$CC" save-part -q "$D/nope.img" "$D/nope.pcl"
ok $(ls "$D" | grep -c partial) "no partial files left in the output directory"
# A full output filesystem: a clear error, and no image left that looks complete.
mkdir "$D/full" && mount -t tmpfs -o size=256k tmpfs "$D/full" && at_exit "umount '$D/full'"
check_fails "full output filesystem: save stops with a clear error" "space" "$CC" save-part -q -z none "$D/src.img" "$D/full/x.pcl"
is "$(ls -A "$D/full" | wc -l)" 0 "nothing left on the full filesystem"
# Ctrl-C in the middle of a save: it stops, says so, and leaves nothing behind.
mkdir "$D/int"
"$CC" save-part -q -z gzip:9 -j 1 --raw "$D/src.img" "$D/int/x.pcl" 2>"$D/int.err" &
pid=$!; sleep 0.3; kill -INT $pid; wait $pid; rc=$?
ok $(( rc != 0 ? 0 : 1 )) "interrupted save exits with an error (status $rc)"
check "and says it was canceled" grep -qi "cancel" "$D/int.err"
is "$(ls -A "$D/int" | wc -l)" 0 "and leaves no file in the output directory"
check_fails "unknown compression refused" "zstd|gzip" "$CC" save-part -z lzma "$D/src.img" "$D/x.pcl"
done_testing
