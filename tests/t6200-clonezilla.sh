#!/bin/bash
# t6200-clonezilla: the real Clonezilla (ocs-sr, Debian's clonezilla package) and
# Clonecast restore each other's whole-disk images, MBR (extended partition, swap,
# raw data) and GPT (ESP, NTFS, ext4, swap):
#  - ocs-sr savedisk (partclone + zstd) -> clonecast restoredisk onto a disk of
#    another name: table, boot code, hidden data and every file identical;
#  - clonecast savedisk -> ocs-sr restoredisk (with its own image check): identical.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/diskimg.sh"
. "$TOP/tests/lib/ocs.sh"
make_scratch; D=$SCRATCH
CC=$CLONECAST
R=$D/repo; mkdir -p "$R"

if ! why=$(ocs_available); then
	skip "Clonezilla cannot run here: $why"
	done_testing; exit 0
fi
for L in mbr gpt; do
	diskimg_make "$D/src.img" $L 61 >/dev/null 2>&1; ok $? "$L: made a filled disk"
	diskimg_manifest "$D/src.img" "$D/src.m" >/dev/null 2>&1
	size=$(stat -c %s "$D/src.img")

	# Clonezilla -> Clonecast
	check "$L: ocs-sr savedisk" ocs_savedisk "$R" ocs-$L "$D/src.img" -z9p
	check "$L: clonecast lists Clonezilla's image" sh -c "'$CC' list -r '$R' | grep -q '^ocs-$L '"
	check "$L: clonecast checks Clonezilla's image" "$CC" check -q -r "$R" ocs-$L
	truncate -s "$size" "$D/t1"
	check "$L: clonecast restoredisk of Clonezilla's image (disk loopN -> a file)" "$CC" restoredisk -q -b -r "$R" ocs-$L "$D/t1"
	diskimg_manifest "$D/t1" "$D/t1.m" >/dev/null 2>&1
	check "$L: Clonezilla's image restored by Clonecast: table, boot code, every file" cmp "$D/src.m" "$D/t1.m"
	diff "$D/src.m" "$D/t1.m" | head -10 | sed 's/^/#   /'
	check "$L: and every filesystem checks clean" diskimg_fsck "$D/t1"

	# Clonecast -> Clonezilla
	check "$L: clonecast savedisk" "$CC" savedisk -q -r "$R" cc-$L "$D/src.img"
	truncate -s "$size" "$D/t2"
	check "$L: ocs-sr restoredisk of Clonecast's image (checks it first)" ocs_restoredisk "$R" cc-$L "$D/t2"
	diskimg_manifest "$D/t2" "$D/t2.m" >/dev/null 2>&1
	check "$L: Clonecast's image restored by Clonezilla: table, boot code, every file" cmp "$D/src.m" "$D/t2.m"
	diff "$D/src.m" "$D/t2.m" | head -10 | sed 's/^/#   /'
	check "$L: and every filesystem checks clean" diskimg_fsck "$D/t2"
	rm -rf "${R:?}"/* "$D/t1" "$D/t2" "$D/src.img"
done
done_testing
