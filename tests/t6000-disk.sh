#!/bin/bash
# t6000-disk: savedisk / restoredisk / saveparts / restoreparts / check / list with
# Clonezilla image directories, on whole-disk image files (MBR with an extended
# partition, GPT) holding filled NTFS, ext4, FAT32 and swap partitions.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/diskimg.sh"
make_scratch; D=$SCRATCH
CC=$CLONECAST
R=$D/repo; mkdir -p "$R"

for layout in mbr gpt; do
	src=$D/$layout.img
	diskimg_make "$src" $layout 41 >/dev/null 2>&1; ok $? "$layout: made a filled disk image"
	diskimg_manifest "$src" "$D/$layout.src.m" >/dev/null 2>&1
	check "$layout: savedisk" "$CC" savedisk -q -r "$R" --check "img-$layout" "$src"
	img=$R/img-$layout
	for f in disk parts sda-pt.sf sda-mbr sda-chs.sf sda-pt.parted dev-fs.list blkid.list blkdev.list clonezilla-img B2SUMS SHA256SUMS Info-saved-by-cmd.txt; do
		ok $([ -s "$img/$f" ] && echo 0 || echo 1) "$layout: image has $f"
	done
	is "$(cat "$img/disk")" "sda" "$layout: disk file names the disk"
	is "$(stat -c %s "$img/sda-mbr")" 512 "$layout: sda-mbr is one sector"
	if [ $layout = mbr ]; then
		ok $([ -s "$img/sda-hidden-data-after-mbr" ] && echo 0 || echo 1) "mbr: hidden data after the MBR saved"
		ok $(ls "$img" | grep -q '^sda1\.ntfs-ptcl-img\.zst$' && echo 0 || echo 1) "mbr: sda1.ntfs-ptcl-img.zst"
		ok $(ls "$img" | grep -q '^sda5\.vfat-ptcl-img\.zst$' && echo 0 || echo 1) "mbr: logical FAT32 as sda5.vfat-ptcl-img.zst"
		ok $(ls "$img" | grep -q '^swappt-sda6\.info$' && echo 0 || echo 1) "mbr: swap partition as swappt-sda6.info"
	else
		is "$(stat -c %s "$img/sda-gpt-1st")" $((34 * 512)) "gpt: sda-gpt-1st is 34 sectors"
		# Clonezilla's own dd (skip=N-33+1 count=33) yields the last 32 sectors
		is "$(stat -c %s "$img/sda-gpt-2nd")" $((32 * 512)) "gpt: sda-gpt-2nd is the last 32 sectors, as Clonezilla writes it"
		ok $(ls "$img" | grep -q '^sda2\.ntfs-ptcl-img\.zst$' && echo 0 || echo 1) "gpt: sda2.ntfs-ptcl-img.zst"
	fi
	check "$layout: sha256sum -c accepts the checksum list" sh -c "cd '$img' && sha256sum --quiet -c SHA256SUMS"
	check "$layout: listed" sh -c "'$CC' list -r '$R' | grep -q '^img-$layout '"
	check "$layout: check -r of the image directory" "$CC" check -q -r "$R" "img-$layout"

	# restore to a blank file of the same size
	truncate -s "$(stat -c %s "$src")" "$D/t1"
	check "$layout: restoredisk to a blank file" "$CC" restoredisk -q -b -r "$R" "img-$layout" "$D/t1"
	diskimg_manifest "$D/t1" "$D/$layout.t1.m" >/dev/null 2>&1
	check "$layout: table, boot code and every file identical" cmp "$D/$layout.src.m" "$D/$layout.t1.m"
	check "$layout: every filesystem checks clean" diskimg_fsck "$D/t1"
	# to a loop device (a block device)
	truncate -s "$(stat -c %s "$src")" "$D/t2"
	loop=$(losetup -f --show "$D/t2") && at_exit "losetup -d $loop 2>/dev/null"
	check "$layout: restoredisk to a loop device" "$CC" restoredisk -q -b -r "$R" "img-$layout" "$loop"
	losetup -d "$loop"
	diskimg_manifest "$D/t2" "$D/$layout.t2.m" >/dev/null 2>&1
	check "$layout: identical on the block device too" cmp "$D/$layout.src.m" "$D/$layout.t2.m"
	# to a larger disk with --grow
	truncate -s $(( $(stat -c %s "$src") + 64 * 1048576 )) "$D/t3"
	check "$layout: restoredisk --grow to a larger disk" "$CC" restoredisk -q -b --grow -r "$R" "img-$layout" "$D/t3"
	check "$layout: filesystems clean after --grow" diskimg_fsck "$D/t3"
	last_end=$(sfdisk -d "$D/t3" | sed -n 's/.*start= *\([0-9]*\), size= *\([0-9]*\).*/\1 \2/p' | awk '{e=$1+$2; if (e>m) m=e} END {print m}')
	ok $(( $(stat -c %s "$D/t3") / 512 - last_end <= 2048 + 34 ? 0 : 1 )) "$layout: last partition grown to the end of the disk"
	# a smaller disk: refused, untouched
	truncate -s $(( $(stat -c %s "$src") / 2 )) "$D/t4"
	head -c 1048576 /dev/urandom | dd of="$D/t4" conv=notrunc status=none
	before=$(sha256sum < "$D/t4")
	check_fails "$layout: smaller disk refused with both sizes" "bytes.*need.*bytes|smaller" "$CC" restoredisk -q -b -r "$R" "img-$layout" "$D/t4"
	is "$(sha256sum < "$D/t4")" "$before" "$layout: the smaller disk was not touched"
	rm -f "$D"/t[1234]
done

# Older Clonezilla images: ntfsclone (<part>.ntfs-img.aa, gzip inside) and dd
# (<part>.dd-img) partition images in place of partclone ones.
cp -a "$R/img-mbr" "$R/img-mixed"
rm -f "$R/img-mixed"/sda1.ntfs-ptcl-img.* "$R/img-mixed"/sda2.ext4-ptcl-img.* "$R/img-mixed"/*SUMS
dd if="$D/mbr.img" of="$D/p1" bs=1M skip=1 count=64 status=none
ntfsclone -q --save-image -o - "$D/p1" 2>/dev/null | gzip -c > "$R/img-mixed/sda1.ntfs-img.aa"
dd if="$D/mbr.img" bs=1M skip=65 count=48 status=none | gzip -c > "$R/img-mixed/sda2.dd-img.aa"
truncate -s "$(stat -c %s "$D/mbr.img")" "$D/t6"
check "image with ntfsclone and dd partition images: restored" "$CC" restoredisk -q -b -r "$R" img-mixed "$D/t6"
diskimg_manifest "$D/t6" "$D/t6.m" >/dev/null 2>&1
check "ntfsclone and dd partition images: identical disk" cmp "$D/mbr.src.m" "$D/t6.m"
check "check -r of that image" "$CC" check -q -r "$R" img-mixed
rm -rf "$R/img-mixed" "$D/t6" "$D/p1"

# gzip and split volumes
check "savedisk -z gzip -i 5 (split at 5 MB)" "$CC" savedisk -q -r "$R" -z gzip -i 5 img-split "$D/mbr.img"
ok $(ls "$R/img-split" | grep -q '^sda1\.ntfs-ptcl-img\.gz\.ab$' && echo 0 || echo 1) "split volumes .aa .ab ... with the gz suffix"
big=$(find "$R/img-split" -name '*.a?' -size +5000000c | wc -l)
is "$big" 0 "no volume larger than 5 MB"
truncate -s "$(stat -c %s "$D/mbr.img")" "$D/t5"
check "restore of the split gzip image" "$CC" restoredisk -q -b -r "$R" img-split "$D/t5"
diskimg_manifest "$D/t5" "$D/t5.m" >/dev/null 2>&1
check "split gzip image: identical disk" cmp "$D/mbr.src.m" "$D/t5.m"
rm -f "$R/img-split/sda1.ntfs-ptcl-img.gz.ab"
ok $("$CC" list -r "$R" | grep -q '^img-split ' && echo 1 || echo 0) "an image with a missing volume is not listed"
check_fails "and is not restored" "incomplete|missing" "$CC" restoredisk -q -b -r "$R" img-split "$D/t5"

# An interrupted save leaves nothing that list shows or restoredisk accepts.
"$CC" savedisk -q -r "$R" -z gzip:9 -j 1 img-killed "$D/mbr.img" &
pid=$!; sleep 1; kill -9 $pid; wait $pid 2>/dev/null
ok $("$CC" list -r "$R" | grep -q '^img-killed' && echo 1 || echo 0) "a killed save is not listed"
ok $([ -e "$R/img-killed" ] && echo 1 || echo 0) "and no directory of that name exists"
check_fails "and cannot be restored" "not found|No such|incomplete|cannot" "$CC" restoredisk -q -b -r "$R" img-killed "$D/t5"

# saveparts / restoreparts on partition block devices
loop=$(losetup -f --show -o $((2048 * 512)) --sizelimit $((64 * 1048576)) "$D/mbr.img") && at_exit "losetup -d $loop 2>/dev/null"
check "saveparts of a partition device" "$CC" saveparts -q -r "$R" img-parts "$loop"
is "$(cat "$R/img-parts/parts")" "$(basename "$loop")" "parts names the partition"
ok $([ -e "$R/img-parts/disk" ] && echo 1 || echo 0) "saveparts writes no disk file"
truncate -s $((64 * 1048576)) "$D/p1"
tl=$(losetup -f --show "$D/p1") && at_exit "losetup -d $tl 2>/dev/null"
check "restoreparts onto another partition" "$CC" restoreparts -q -b -r "$R" img-parts "$tl"
losetup -d "$tl"; losetup -d "$loop"
check "restored partition is identical in use" bash -c ". '$TOP/tests/lib/fsimg.sh'; fsimg_manifest_ntfs '$D/p1' '$D/p1.m' && dd if='$D/mbr.img' of='$D/p0' bs=512 skip=2048 count=131072 status=none && fsimg_manifest_ntfs '$D/p0' '$D/p0.m' && cmp '$D/p0.m' '$D/p1.m'"
check_fails "restore without -b and no terminal: refused" "batch" "$CC" restoredisk -q -r "$R" img-mbr "$D/t5" </dev/null
done_testing
