#!/bin/bash
# t2000-roundtrip: save-part -> check -> restore-part on real NTFS, ext2/3/4 and
# FAT12/16/32 filesystems filled with realistic trees (deleted files, fragmentation);
# every file identical after restore, fsck clean, free space not copied.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/fsimg.sh"
make_scratch; D=$SCRATCH
CC=$CLONECAST

# field NAME FILE: value of "NAME: value" from clonecast info
field() { "$CC" info "$2" | sed -n "s/^$1: \([0-9A-Za-z.]*\).*/\1/p"; }

roundtrip() { # roundtrip TYPE FSTYPE(for fsck/manifest) IMG
	local t=$1 kind=$2 src=$3 z img tgt size used bs
	fsimg_manifest_"$kind" "$src" "$D/$t.src.manifest" || { ok 1 "$t: manifest of the source"; return; }
	for z in zstd gzip none; do
		img=$D/$t.$z.pcl
		check "$t: save-part -z $z" "$CC" save-part -q -z "$z" "$src" "$img" || continue
		check "$t: check of the $z image" "$CC" check -q "$img"
		tgt=$D/$t.$z.restored
		check "$t: restore-part of the $z image to a new file" "$CC" restore-part -q "$img" "$tgt" || continue
		is "$(stat -c %s "$tgt")" "$(stat -c %s "$src")" "$t: new target has the source's size"
		fsimg_manifest_"$kind" "$tgt" "$D/$t.dst.manifest"
		check "$t: every file identical after restoring the $z image" cmp "$D/$t.src.manifest" "$D/$t.dst.manifest"
		check "$t: filesystem check clean after restoring the $z image" fsimg_fsck "$tgt" "$kind"
		if [ "$z" = none ]; then
			size=$(stat -c %s "$img")
			used=$(field used_bytes "$img")
			bs=$(field block_size "$img")
			# 110-byte header, bitmap and CRCs: at most 2% + 1 MiB over the used data
			ok $(( size <= used + used / 50 + 1048576 ? 0 : 1 )) "$t: uncompressed image ($size) is the used data ($used) plus little"
			ok $(( used * 10 < $(stat -c %s "$src") * 9 ? 0 : 1 )) "$t: free space is not copied (used $used of $(stat -c %s "$src"))"
			# blocks counted by the filesystem's own tools agree
			is "$(( $(field blocks_used "$img") * bs ))" "$used" "$t: info is consistent"
		fi
		rm -f "$tgt"
	done
	# restore over an existing file full of old data, of the same size and larger
	head -c "$(stat -c %s "$src")" /dev/urandom > "$D/$t.old"
	check "$t: restore over an existing file full of old data" "$CC" restore-part -q "$D/$t.zstd.pcl" "$D/$t.old"
	fsimg_manifest_"$kind" "$D/$t.old" "$D/$t.dst.manifest"
	check "$t: files identical after restoring over old data" cmp "$D/$t.src.manifest" "$D/$t.dst.manifest"
	check "$t: fsck clean after restoring over old data" fsimg_fsck "$D/$t.old" "$kind"
	head -c 1048576 /dev/urandom >> "$D/$t.old"
	check "$t: restore to a larger existing file" "$CC" restore-part -q "$D/$t.gzip.pcl" "$D/$t.old"
	fsimg_manifest_"$kind" "$D/$t.old" "$D/$t.dst.manifest"
	check "$t: files identical on the larger target" cmp "$D/$t.src.manifest" "$D/$t.dst.manifest"
	# from standard input
	rm -f "$D/$t.stdin"
	check "$t: restore from standard input" sh -c "cat '$D/$t.gzip.pcl' | '$CC' restore-part -q - '$D/$t.stdin'"
	fsimg_manifest_"$kind" "$D/$t.stdin" "$D/$t.dst.manifest"
	check "$t: files identical after a restore from a pipe" cmp "$D/$t.src.manifest" "$D/$t.dst.manifest"
	rm -f "$D/$t".*.pcl "$D/$t.old" "$D/$t.stdin"
}

fsimg_ntfs "$D/ntfs.img" 96 11 2500 40 >/dev/null 2>&1; ok $? "made a filled NTFS"
roundtrip ntfs ntfs "$D/ntfs.img"
# NTFS keeps a backup boot sector in its last sector; partclone drops it, we must not.
"$CC" save-part -q -z zstd "$D/ntfs.img" "$D/n.pcl" && "$CC" restore-part -q "$D/n.pcl" "$D/n.out"
check "ntfs: backup boot sector (last sector) restored" cmp <(tail -c 512 "$D/ntfs.img") <(tail -c 512 "$D/n.out")
# A partition one sector larger than a whole number of clusters: the tail cannot be a block;
# restore rebuilds the backup from the boot sector.
truncate -s $(( 64 * 1048576 + 512 )) "$D/odd.img" && mkntfs -F -q -Q "$D/odd.img" >/dev/null 2>&1
"$CC" save-part -q "$D/odd.img" "$D/odd.pcl" && "$CC" restore-part -q "$D/odd.pcl" "$D/odd.out"
check "ntfs (odd size): backup boot sector rebuilt on restore" cmp "$D/odd.img" "$D/odd.out"
check "ntfs (odd size): ntfsfix finds nothing to fix" fsimg_fsck "$D/odd.out" ntfs
rm -f "$D"/ntfs.img "$D"/n.* "$D"/odd.*

fsimg_ext4 "$D/ext4.img" 96 12 2500 40 >/dev/null 2>&1; ok $? "made a filled ext4"
roundtrip ext4 ext4 "$D/ext4.img"; rm -f "$D/ext4.img"
fsimg_ext4 "$D/ext3.img" 48 13 800 12 "-t ext3 -b 1024" >/dev/null 2>&1; ok $? "made a filled ext3 with 1 KiB blocks"
roundtrip ext3 ext4 "$D/ext3.img"; rm -f "$D/ext3.img"
fsimg_ext4 "$D/ext2.img" 32 14 500 8 "-t ext2" >/dev/null 2>&1; ok $? "made a filled ext2"
roundtrip ext2 ext4 "$D/ext2.img"; rm -f "$D/ext2.img"

fsimg_fat "$D/fat32.img" 96 15 1500 30 32 >/dev/null 2>&1; ok $? "made a filled FAT32"
roundtrip fat32 fat "$D/fat32.img"; rm -f "$D/fat32.img"
fsimg_fat "$D/fat16.img" 48 16 800 15 16 >/dev/null 2>&1; ok $? "made a filled FAT16"
roundtrip fat16 fat "$D/fat16.img"; rm -f "$D/fat16.img"
fsimg_fat "$D/fat12.img" 8 17 150 3 12 >/dev/null 2>&1; ok $? "made a filled FAT12"
roundtrip fat12 fat "$D/fat12.img"; rm -f "$D/fat12.img"

# Block devices as source and target (loop devices on files of this test).
if losetup -f >/dev/null 2>&1; then
	fsimg_ntfs "$D/bd.img" 64 18 500 10 >/dev/null 2>&1
	truncate -s 64M "$D/bd.out"
	src=$(losetup -f --show "$D/bd.img") && at_exit "losetup -d $src"
	dst=$(losetup -f --show "$D/bd.out") && at_exit "losetup -d $dst"
	check "block device: save-part from $src" "$CC" save-part -q "$src" "$D/bd.pcl"
	check "block device: restore-part to $dst" "$CC" restore-part -q "$D/bd.pcl" "$dst"
	losetup -d "$dst"; losetup -d "$src"
	fsimg_manifest_ntfs "$D/bd.img" "$D/bd.m1"; fsimg_manifest_ntfs "$D/bd.out" "$D/bd.m2"
	check "block device: every file identical" cmp "$D/bd.m1" "$D/bd.m2"
	check "block device: backup boot sector restored" cmp <(tail -c 512 "$D/bd.img") <(tail -c 512 "$D/bd.out")
	check "block device: ntfsfix finds nothing to fix" fsimg_fsck "$D/bd.out" ntfs
	rm -f "$D"/bd.*
else
	for i in 1 2 3 4 5; do skip "no loop devices"; done
fi

# An unknown filesystem is saved raw, every byte.
head -c 5000192 /dev/urandom > "$D/junk.img"
check "raw: unknown content saved (every block)" "$CC" save-part -q -z gzip "$D/junk.img" "$D/junk.pcl"
is "$(field filesystem "$D/junk.pcl")" raw "raw: image says raw"
"$CC" restore-part -q "$D/junk.pcl" "$D/junk.out"
check "raw: restored byte for byte" cmp "$D/junk.img" "$D/junk.out"
done_testing
