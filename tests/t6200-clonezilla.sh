#!/bin/bash
# t6200-clonezilla: the real Clonezilla (ocs-sr, Debian's clonezilla package) and
# Clonecast restore each other's whole-disk images.
#  - ocs-sr savedisk (partclone + zstd, an extended partition, swap, raw data)
#    -> clonecast restoredisk onto a disk of another name: every file identical;
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
diskimg_make "$D/src.img" mbr 61 >/dev/null 2>&1; ok $? "made a filled MBR disk"
diskimg_manifest "$D/src.img" "$D/src.m" >/dev/null 2>&1

# Clonezilla -> Clonecast
check "ocs-sr savedisk" ocs_savedisk "$R" ocs-img "$D/src.img" -z9p
check "clonecast lists Clonezilla's image" sh -c "'$CC' list -r '$R' | grep -q '^ocs-img '"
check "clonecast checks Clonezilla's image" "$CC" check -q -r "$R" ocs-img
truncate -s "$(stat -c %s "$D/src.img")" "$D/t1"
check "clonecast restoredisk of Clonezilla's image (disk loopN -> a file)" "$CC" restoredisk -q -b -r "$R" ocs-img "$D/t1"
diskimg_manifest "$D/t1" "$D/t1.m" >/dev/null 2>&1
check "Clonezilla's image restored by Clonecast: table, boot code, hidden data, every file" cmp "$D/src.m" "$D/t1.m"
diff "$D/src.m" "$D/t1.m" | head -10 | sed 's/^/#   /'
check "and every filesystem checks clean" diskimg_fsck "$D/t1"
rm -rf "$R/ocs-img" "$D/t1"

# Clonecast -> Clonezilla
check "clonecast savedisk" "$CC" savedisk -q -r "$R" cc-img "$D/src.img"
truncate -s "$(stat -c %s "$D/src.img")" "$D/t2"
check "ocs-sr restoredisk of Clonecast's image (checks it first)" ocs_restoredisk "$R" cc-img "$D/t2"
diskimg_manifest "$D/t2" "$D/t2.m" >/dev/null 2>&1
check "Clonecast's image restored by Clonezilla: table, boot code, hidden data, every file" cmp "$D/src.m" "$D/t2.m"
diff "$D/src.m" "$D/t2.m" | head -10 | sed 's/^/#   /'
check "and every filesystem checks clean" diskimg_fsck "$D/t2"
done_testing
