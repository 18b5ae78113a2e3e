#!/bin/bash
# t3000-interop: compatibility both ways with the real partclone 0.3.23 and ntfsclone.
#  - our images restore with partclone.restore and pass partclone.chkimg;
#  - our uncompressed image equals partclone's byte for byte (but for the creator
#    string, the header CRC and, for NTFS, the backup-boot-sector block);
#  - images made by partclone.{ntfs,ext4,vfat,dd} and ntfsclone --save-image, raw or
#    compressed by gzip, pigz, zstd, bzip2, xz and lz4, restore with ours to the same bytes.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/fsimg.sh"
make_scratch; D=$SCRATCH
CC=$CLONECAST
PC="-L $D/partclone.log"

# u64/u32 little-endian field of a file: le FILE OFFSET SIZE
le() { od -An -t u"$3" -j "$2" -N "$3" --endian=little "$1" | tr -d ' '; }

fsimg_ntfs "$D/ntfs.img" 64 21 600 12 >/dev/null 2>&1; ok $? "made an NTFS"
fsimg_ext4 "$D/ext4.img" 64 22 600 12 >/dev/null 2>&1; ok $? "made an ext4"
fsimg_fat "$D/fat.img" 64 23 500 12 32 >/dev/null 2>&1; ok $? "made a FAT32"

for t in ntfs ext4 fat; do
	src=$D/$t.img pcl=partclone.$t
	[ $t = fat ] && pcl=partclone.vfat
	size=$(stat -c %s "$src")
	# ours -> partclone
	"$CC" save-part -q -z none "$src" "$D/ours.pcl"
	check "$t: partclone.chkimg accepts our image" partclone.chkimg -s "$D/ours.pcl" $PC
	check "$t: partclone.info reads our image" sh -c "partclone.info -s '$D/ours.pcl' $PC 2>&1 | grep -q 'File system: *$( [ $t = ntfs ] && echo NTFS || ([ $t = ext4 ] && echo EXTFS) || echo FAT32)'"
	rm -f "$D/pc-restored"
	check "$t: partclone.restore restores our image" partclone.restore -s "$D/ours.pcl" -W -o "$D/pc-restored" $PC
	"$CC" restore-part -q "$D/ours.pcl" "$D/our-restored"
	if [ $t = ntfs ]; then
		# partclone -W truncates the file at the last block; compare what it wrote
		n=$(stat -c %s "$D/pc-restored")
		check "$t: partclone's restore of our image equals ours" cmp -n "$n" "$D/pc-restored" "$D/our-restored"
		check "$t: partclone.restore of our image keeps the backup boot sector" \
			cmp <(tail -c 512 "$src") <(dd if="$D/pc-restored" bs=512 skip=$(( size / 512 - 1 )) count=1 status=none)
	else
		check "$t: partclone's restore of our image equals ours" cmp "$D/pc-restored" "$D/our-restored"
	fi
	"$CC" save-part -q -z zstd "$src" "$D/ours.zst"
	check "$t: zstd -dc | partclone.chkimg -s - accepts our zstd image" sh -c "zstd -dc '$D/ours.zst' | partclone.chkimg -s - $PC"
	"$CC" save-part -q -z gzip "$src" "$D/ours.gz"
	check "$t: gzip -dc | partclone.chkimg accepts our gzip image" sh -c "gzip -dc '$D/ours.gz' | partclone.chkimg -s - $PC"
	check "$t: our gzip image is a single gzip member" sh -c "python3 -c 'import sys,zlib; d=zlib.decompressobj(31); d.decompress(open(sys.argv[1],\"rb\").read()); sys.exit(0 if d.eof and not d.unused_data else 1)' '$D/ours.gz'"

	# partclone -> ours: byte-identical image apart from creator and header CRC
	rm -f "$D/theirs.pcl"
	$pcl -c -s "$src" -o "$D/theirs.pcl" $PC >/dev/null 2>&1; ok $? "$t: partclone saves the filesystem"
	if [ $t = ntfs ]; then
		tb=$(le "$D/theirs.pcl" 60 8)
		is "$(le "$D/ours.pcl" 60 8)" "$((tb + 1))" "$t: our image has one more block (the backup boot sector)"
	else
		check "$t: our image equals partclone's from byte 30 to the header CRC" cmp -i 30:30 -n 76 "$D/ours.pcl" "$D/theirs.pcl"
		check "$t: our bitmap and blocks equal partclone's byte for byte" cmp -i 110:110 "$D/ours.pcl" "$D/theirs.pcl"
	fi
	rm -f "$D/pc-ref"
	partclone.restore -s "$D/theirs.pcl" -W -o "$D/pc-ref" $PC >/dev/null 2>&1
	n=$(stat -c %s "$D/pc-ref")
	for z in none gzip pigz zstd bzip2 xz lz4; do
		case $z in
		none) cp "$D/theirs.pcl" "$D/theirs.z" ;;
		zstd) zstd -q -T0 -c "$D/theirs.pcl" > "$D/theirs.z" ;;
		lz4) lz4 -q -c "$D/theirs.pcl" > "$D/theirs.z" ;;
		*) $z -c "$D/theirs.pcl" > "$D/theirs.z" ;;
		esac
		rm -f "$D/ours-from-theirs"
		check "$t: our restore of partclone's image ($z)" "$CC" restore-part -q "$D/theirs.z" "$D/ours-from-theirs"
		if [ $t = ntfs ]; then
			# partclone leaves the backup boot sector (the last sector) zero; we rebuild it
			check "$t: same bytes as partclone.restore ($z)" cmp -n $(( n - 512 )) "$D/pc-ref" "$D/ours-from-theirs"
			check "$t: and the backup boot sector is back ($z)" cmp <(tail -c 512 "$src") <(tail -c 512 "$D/ours-from-theirs")
		else
			check "$t: same bytes as partclone.restore ($z)" cmp -n "$n" "$D/pc-ref" "$D/ours-from-theirs"
		fi
	done
	check "$t: our check of partclone's image" "$CC" check -q "$D/theirs.pcl"
	rm -f "$D"/ours.* "$D"/theirs.* "$D"/pc-* "$D"/our-* "$D/ours-from-theirs"
done

# partclone images with other checksum settings
rm -f "$D/v.pcl" "$D/v.ref"
partclone.ext4 -c -s "$D/ext4.img" -o "$D/v.pcl" $PC >/dev/null 2>&1
partclone.restore -s "$D/v.pcl" -W -o "$D/v.ref" $PC >/dev/null 2>&1
for opt in "-a0" "-k 16" "-K" "-a1 -k 1"; do
	rm -f "$D/v.pcl"
	partclone.ext4 -c -s "$D/ext4.img" -o "$D/v.pcl" $opt $PC >/dev/null 2>&1
	rm -f "$D/v.out"
	check "partclone.ext4 $opt image restores with ours" "$CC" restore-part -q "$D/v.pcl" "$D/v.out"
	check "partclone.ext4 $opt image: same bytes as partclone.restore" cmp "$D/v.ref" "$D/v.out"
done

# ntfsclone --save-image -> ours; the backup boot sector comes with it
ntfsclone -q --save-image -o "$D/n.img" "$D/ntfs.img" >/dev/null 2>&1; ok $? "ntfsclone saves the NTFS"
for z in none gzip; do
	f=$D/n.img; [ $z = gzip ] && { gzip -c "$D/n.img" > "$D/n.img.gz"; f=$D/n.img.gz; }
	rm -f "$D/n.out"
	check "ntfsclone image ($z) restores with ours" "$CC" restore-part -q "$f" "$D/n.out"
	truncate -s "$(stat -c %s "$D/ntfs.img")" "$D/n.ref"
	ntfsclone -q --restore-image --overwrite "$D/n.ref" "$D/n.img" >/dev/null 2>&1
	check "ntfsclone image ($z): same bytes as ntfsclone --restore-image" cmp "$D/n.ref" "$D/n.out"
done
is "$("$CC" info "$D/n.img" | sed -n 's/^format: //p')" "ntfsclone" "info names the ntfsclone format"

# partclone.dd (a raw stream) -> ours
rm -f "$D/dd.pcl"
partclone.dd -s "$D/fat.img" -o "$D/dd.pcl" $PC >/dev/null 2>&1
zstd -q -c "$D/dd.pcl" > "$D/dd.zst"
rm -f "$D/dd.out"
check "partclone.dd image (zstd) restores with ours" "$CC" restore-part -q "$D/dd.zst" "$D/dd.out"
check "partclone.dd image: same bytes" cmp "$D/fat.img" "$D/dd.out"
done_testing
