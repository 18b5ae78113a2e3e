#!/bin/bash
# t6100-ptable: partition tables and boot records saved as Clonezilla saves them (checked
# against sfdisk, sgdisk and parted, and against what Clonezilla's own restore commands do
# with the files), and restored onto disk files and loop devices: same table, disk and
# partition identifiers, boot code, hidden sectors after the MBR, EBR; --grow; a smaller
# target refused and left untouched.
. "$(dirname "$0")/lib/tap.sh"
make_scratch; D=$SCRATCH
PT=$HELPERS/ptable-tool

for t in sfdisk sgdisk parted losetup; do
	command -v "$t" >/dev/null || { skip "$t is not installed (tests/install-deps.sh)"; done_testing; exit; }
done
[ -x "$PT" ] || { skip "$PT is not built"; done_testing; exit; }

# norm FILE-OR-DEV: sfdisk -d with device names reduced to partition numbers
norm() { sfdisk -d "$1" 2>/dev/null | sed -e '/^device:/d' -e 's/^[^ ]*[^0-9]\([0-9][0-9]*\) :/\1 :/'; }
# bytes FILE OFFSET COUNT: hex of a byte range
bytes() { od -An -v -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }
# field PART FIELD: a field (start/size) of partition number PART from sfdisk -d
field() { norm "$2" | sed -n "s/^$1 : .*$3= *\([0-9]*\).*/\1/p"; }
sectors() { echo $(( $(blockdev --getsize64 "$1" 2>/dev/null || stat -c %s "$1") / 512 )); }

# ---- the source disks ----
truncate -s 128M "$D/mbr.img"
sfdisk -q "$D/mbr.img" >/dev/null <<'EOF'
label: dos
size=16M, type=7, bootable
size=16M, type=83
size=16M, type=c
type=5
size=24M, type=83
type=82
EOF
ok $? "MBR disk: 3 primaries, an extended with 2 logicals"
# boot code over bytes 0-445 (the disk signature at 440 too), hidden data in sectors 1-2047,
# boot code in the EBR of the extended partition
EXT=$(field 4 "$D/mbr.img" start)
head -c 446 /dev/urandom | dd of="$D/mbr.img" conv=notrunc status=none
head -c $((2047 * 512)) /dev/urandom | dd of="$D/mbr.img" bs=512 seek=1 conv=notrunc status=none
head -c 446 /dev/urandom | dd of="$D/mbr.img" bs=512 seek="$EXT" conv=notrunc status=none
sfdisk -d "$D/mbr.img" >/dev/null 2>&1; ok $? "still a valid table after the random boot code"

truncate -s 96M "$D/gpt.img"
sfdisk -q "$D/gpt.img" >/dev/null <<'EOF'
label: gpt
size=8M, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system partition"
size=16M, type=E3C9E316-0B5C-4DB8-817D-F92DF00215AE, name="Microsoft reserved partition"
size=32M, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name="Basic data partition"
type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="linux, root"
EOF
ok $? "GPT disk with 4 named partitions"
head -c 440 /dev/urandom | dd of="$D/gpt.img" conv=notrunc status=none

# ---- save ----
mkdir "$D/repo"
check "save the MBR disk" "$PT" save "$D/mbr.img" sda "$D/repo/mbrimg"
check "save the GPT disk" "$PT" save "$D/gpt.img" nvme0n1 "$D/repo/gptimg"
M=$D/repo/mbrimg G=$D/repo/gptimg

is "$(cd "$M" && ls | grep -v -e SUMS -e clonezilla-img -e Info- -e '^disk$' | tr '\n' ' ')" \
	"sda-chs.sf sda-hidden-data-after-mbr sda-mbr sda-pt.parted sda-pt.parted.compact sda-pt.sf sda4-ebr " \
	"MBR: the files Clonezilla writes"
is "$(cd "$G" && ls | grep -v -e SUMS -e clonezilla-img -e Info- -e '^disk$' | tr '\n' ' ')" \
	"nvme0n1-chs.sf nvme0n1-gpt-1st nvme0n1-gpt-2nd nvme0n1-gpt.gdisk nvme0n1-gpt.sgdisk nvme0n1-mbr nvme0n1-pt.parted nvme0n1-pt.parted.compact nvme0n1-pt.sf " \
	"GPT: the files Clonezilla writes"
check "checksums of the saved files" sh -c "cd '$M' && sha256sum --quiet -c SHA256SUMS && cd '$G' && sha256sum --quiet -c SHA256SUMS"

is "$(stat -c %s "$M/sda-mbr")" 512 "sda-mbr is 512 bytes"
is "$(bytes "$M/sda-mbr" 0 512)" "$(bytes "$D/mbr.img" 0 512)" "sda-mbr is the first sector"
is "$(stat -c %s "$M/sda-hidden-data-after-mbr")" $((2047 * 512)) "hidden data: sectors 1-2047 (dd skip=1 count=first start - 1)"
check "hidden data is those sectors" cmp "$M/sda-hidden-data-after-mbr" <(dd if="$D/mbr.img" bs=512 skip=1 count=2047 status=none)
is "$(stat -c %s "$M/sda4-ebr")" 512 "sda4-ebr is 512 bytes"
is "$(bytes "$M/sda4-ebr" 0 512)" "$(bytes "$D/mbr.img" $((EXT * 512)) 512)" "sda4-ebr is the extended partition's first sector"
is "$(cat "$M/sda-chs.sf")" "$(printf 'cylinders=%s\nheads=255\nsectors=63' $(( $(sectors "$D/mbr.img") / 16065 )))" \
	"sda-chs.sf: cylinders/heads/sectors as sfdisk -g gives them"
check "sda-pt.sf is sfdisk -d with the device /dev/sda" cmp "$M/sda-pt.sf" \
	<(sfdisk -d "$D/mbr.img" | sed -e "s|^device: .*|device: /dev/sda|" -e "s|^$D/mbr.img\([0-9]\)|/dev/sda\1|")
check "sda-pt.parted is parted unit s print (Disk /dev/sda)" cmp "$M/sda-pt.parted" \
	<(LC_ALL=C parted -s "$D/mbr.img" unit s print | sed "s|^Disk $D/mbr.img:|Disk /dev/sda:|")
check "sda-pt.parted.compact is parted unit compact print" cmp "$M/sda-pt.parted.compact" \
	<(LC_ALL=C parted -s "$D/mbr.img" unit compact print | sed "s|^Disk $D/mbr.img:|Disk /dev/sda:|")
check "Clonezilla sees an MBR table (grep of pt.parted)" grep -qE '^Partition Table: msdos' "$M/sda-pt.parted"
check "Clonezilla finds the disk size (grep ^Disk /dev/)" grep -qE "^Disk /dev/sda: $(sectors "$D/mbr.img")s$" "$M/sda-pt.parted"
check "Clonezilla finds the extended partition in pt.parted" grep -qE '^ 4 .*extended' "$M/sda-pt.parted"

N=$(sectors "$D/gpt.img")
is "$(stat -c %s "$G/nvme0n1-gpt-1st")" $((34 * 512)) "gpt-1st is 34 sectors (LBA 0-33)"
check "gpt-1st is LBA 0-33" cmp "$G/nvme0n1-gpt-1st" <(head -c $((34 * 512)) "$D/gpt.img")
# Clonezilla: to_skip=$((disk_size_sec-33+1)); dd skip=$to_skip bs=512 count=33, where
# disk_size_sec comes from "Disk /dev/X: Ns" of parted 3.x, the number of sectors: 32 sectors
is "$(stat -c %s "$G/nvme0n1-gpt-2nd")" $((32 * 512)) "gpt-2nd is what Clonezilla's dd saves: 32 sectors"
check "gpt-2nd is the last 32 sectors (the backup entries' tail and header)" cmp "$G/nvme0n1-gpt-2nd" \
	<(dd if="$D/gpt.img" bs=512 skip=$((N - 33 + 1)) count=33 status=none)
check "gpt.sgdisk is sgdisk -p" cmp "$G/nvme0n1-gpt.sgdisk" <(sgdisk -p "$D/gpt.img" | sed "s|^Disk $D/gpt.img:|Disk /dev/nvme0n1:|")
check "Clonezilla sees a GPT table (grep of pt.parted)" grep -qE '^Partition Table: gpt' "$G/nvme0n1-pt.parted"
check "nvme0n1-pt.sf names nvme0n1p1..4" grep -q '^/dev/nvme0n1p4 : start=' "$G/nvme0n1-pt.sf"

# Clonezilla's own restore commands accept the files: sgdisk -l (gdisk backup), sfdisk of
# pt.sf without last-lba, and its dd fallback of gpt-1st and gpt-2nd
truncate -s 96M "$D/cz1.img" "$D/cz2.img" "$D/cz3.img"
truncate -s 128M "$D/cz4.img"
sgdisk -l "$G/nvme0n1-gpt.gdisk" "$D/cz1.img" >/dev/null 2>&1
check "Clonezilla's 'sgdisk -l sdX-gpt.gdisk' restores the same GPT" cmp <(norm "$D/gpt.img") <(norm "$D/cz1.img")
grep -Ev '^last-lba:' "$G/nvme0n1-pt.sf" | sfdisk --force --wipe always "$D/cz2.img" >/dev/null 2>&1
check "Clonezilla's sfdisk of nvme0n1-pt.sf restores the same GPT" cmp <(norm "$D/gpt.img") <(norm "$D/cz2.img")
dd if="$G/nvme0n1-gpt-1st" of="$D/cz3.img" conv=notrunc status=none
dd if="$G/nvme0n1-gpt-2nd" of="$D/cz3.img" seek=$((N - 33 + 1)) bs=512 count=33 conv=notrunc status=none
check "Clonezilla's dd of gpt-1st and gpt-2nd restores the same GPT" cmp <(norm "$D/gpt.img") <(norm "$D/cz3.img")
# (Clonezilla's dd fallback never restores sector N-33, the first sector of the backup
# entries, whatever the file holds: sgdisk then reports the backup entries' CRC)
check "and its headers and primary entries are sound" sh -c "sgdisk -v '$D/cz3.img' 2>&1 | grep -q 'Main partition table: OK'"
sfdisk --force "$D/cz4.img" < "$M/sda-pt.sf" >/dev/null 2>&1
check "Clonezilla's sfdisk --force < sda-pt.sf restores the same MBR table" \
	cmp <(norm "$D/mbr.img" | grep -v label-id) <(norm "$D/cz4.img" | grep -v label-id)

# ---- restore onto files ----
restore() { "$PT" restore "$D/repo" "$@" >/dev/null; }
truncate -s 128M "$D/t1.img"
check "restore the MBR disk onto a blank file of the same size" restore mbrimg sda "$D/t1.img" sdb
check "same sfdisk -d, label-id included" cmp <(norm "$D/mbr.img") <(norm "$D/t1.img")
is "$(bytes "$D/t1.img" 0 512)" "$(bytes "$D/mbr.img" 0 512)" "same MBR: boot code, signature, table"
check "same hidden sectors 1-2047" cmp <(head -c $((2048 * 512)) "$D/mbr.img") <(head -c $((2048 * 512)) "$D/t1.img")
is "$(bytes "$D/t1.img" $((EXT * 512)) 512)" "$(bytes "$D/mbr.img" $((EXT * 512)) 512)" "same EBR (boot code restored)"

truncate -s 200M "$D/t2.img"
check "restore the MBR disk onto a larger file, no --grow" restore mbrimg sda "$D/t2.img" sdb
check "the same table" cmp <(norm "$D/mbr.img") <(norm "$D/t2.img")
truncate -s 200M "$D/t3.img"
check "restore the MBR disk onto a larger file with --grow" restore mbrimg sda "$D/t3.img" sdb --grow
N3=$(sectors "$D/t3.img")
is "$(( $(field 6 "$D/t3.img" start) + $(field 6 "$D/t3.img" size) ))" "$N3" "grow: the last logical partition reaches the end"
is "$(( $(field 4 "$D/t3.img" start) + $(field 4 "$D/t3.img" size) ))" "$N3" "grow: its extended partition too"
check "grow: the other partitions are unchanged" cmp <(norm "$D/mbr.img" | grep -v -e '^4 :' -e '^6 :') <(norm "$D/t3.img" | grep -v -e '^4 :' -e '^6 :')
is "$(bytes "$D/t3.img" 0 446)" "$(bytes "$D/mbr.img" 0 446)" "grow: same boot code"

head -c $((100 * 1024 * 1024)) /dev/urandom > "$D/small.img"
before=$(sha256sum < "$D/small.img")
check_fails "a smaller disk is refused, with both sizes" \
	"TOOSMALL.*104857600 bytes \(0\.10 GB\).*134217728 bytes \(0\.13 GB\)" restore mbrimg sda "$D/small.img" sdb
is "$(sha256sum < "$D/small.img")" "$before" "the smaller disk is left byte-identical"
truncate -s 64M "$D/small2.img"
check_fails "a GPT disk too small for its last partition" "too small" restore gptimg nvme0n1 "$D/small2.img" sda

truncate -s 96M "$D/g1.img"
check "restore the GPT disk onto a blank file of the same size" restore gptimg nvme0n1 "$D/g1.img" sda
check "same sfdisk -d: disk GUID, partition UUIDs and names, last-lba" cmp <(norm "$D/gpt.img") <(norm "$D/g1.img")
is "$(bytes "$D/g1.img" 0 446)" "$(bytes "$D/gpt.img" 0 446)" "GPT: the protective MBR's boot code restored"
check "sgdisk -v finds no problem" sh -c "sgdisk -v '$D/g1.img' | grep -q 'No problems found'"
truncate -s 160M "$D/g2.img"
check "restore the GPT disk onto a larger file with --grow" restore gptimg nvme0n1 "$D/g2.img" sda --grow
N2=$(sectors "$D/g2.img")
end=$(( $(field 4 "$D/g2.img" start) + $(field 4 "$D/g2.img" size) ))
ok $(( end % 2048 == 0 && end <= N2 - 33 && end > N2 - 33 - 2048 ? 0 : 1 )) \
	"grow: the last GPT partition ends on the last 1 MiB boundary before the backup table ($end of $N2)"
is "$(norm "$D/g2.img" | sed -n 's/^last-lba: //p')" $((N2 - 34)) "grow: last-lba recomputed for the larger disk"
check "grow: the same GUIDs and the other partitions" cmp <(norm "$D/gpt.img" | grep -v -e '^4 :' -e last-lba) \
	<(norm "$D/g2.img" | grep -v -e '^4 :' -e last-lba)
check "grow: sgdisk -v finds no problem" sh -c "sgdisk -v '$D/g2.img' | grep -q 'No problems found'"
truncate -s 160M "$D/g3.img"
check "restore the GPT disk onto a larger file without --grow" restore gptimg nvme0n1 "$D/g3.img" sda
check "the same partitions" cmp <(norm "$D/gpt.img" | grep -v last-lba) <(norm "$D/g3.img" | grep -v last-lba)
check "the backup GPT is at the end of the larger disk" sh -c "sgdisk -v '$D/g3.img' | grep -q 'No problems found'"

# a restore over an old GPT disk with an MBR table: no GPT header stays behind
truncate -s 128M "$D/old.img"
printf 'label: gpt\ntype=L\n' | sfdisk -q "$D/old.img" >/dev/null
check "restore the MBR disk over an old GPT disk" restore mbrimg sda "$D/old.img" sdb
check "parted sees an MBR table" sh -c "LC_ALL=C parted -s '$D/old.img' print | grep -q '^Partition Table: msdos'"
check "no 'EFI PART' signature left in LBA 1 or the last sector" \
	sh -c "! dd if='$D/old.img' bs=512 skip=1 count=1 status=none | grep -q 'EFI PART' && ! tail -c 512 '$D/old.img' | grep -q 'EFI PART'"
check "and the table is the source's" cmp <(norm "$D/mbr.img") <(norm "$D/old.img")

# ---- loop devices (no udev: only the whole-disk node is used) ----
# loop [-P] FILE: attach FILE, set LOOPDEV; every one is detached at exit
LOOPS=()
at_exit 'for l in "${LOOPS[@]}"; do losetup -d "$l"; done'
loop() { LOOPDEV=$(losetup -f --show "$@") || return 1; LOOPS+=("$LOOPDEV"); }
if loop "$D/mbr.img"; then
	SRC=$LOOPDEV
	SN=${SRC#/dev/}
	check "save from a loop device ($SN)" "$PT" save "$SRC" "$SN" "$D/repo/loopimg"
	check "its pt.sf is exactly sfdisk -d $SRC" cmp "$D/repo/loopimg/$SN-pt.sf" <(sfdisk -d "$SRC")
	check "its pt.parted is exactly parted -s $SRC unit s print" cmp "$D/repo/loopimg/$SN-pt.parted" <(LC_ALL=C parted -s "$SRC" unit s print)
	check "its chs.sf is what Clonezilla computes from sfdisk -g" cmp "$D/repo/loopimg/$SN-chs.sf" \
		<(g=$(LC_ALL=C sfdisk -g "$SRC"); for i in cylinders heads sectors; do
			echo "$i=$(echo "$g" | grep -oE "[[:digit:]]+ $i" | awk '{print $1}')"; done)
	check "its EBR file is named after the loop partition (${SN}p4-ebr)" test -s "$D/repo/loopimg/${SN}p4-ebr"
else
	skip "no loop device for the source"
fi
truncate -s 128M "$D/lt.img"
if loop "$D/lt.img"; then
	TGT=$LOOPDEV
	check "restore the MBR disk onto a loop device" restore mbrimg sda "$TGT" "${TGT#/dev/}"
	check "the loop device has the same table" cmp <(norm "$D/mbr.img") <(norm "$TGT")
	check "same MBR and hidden sectors through the loop device" cmp <(head -c $((2048 * 512)) "$D/mbr.img") <(head -c $((2048 * 512)) "$TGT")
	is "$(bytes "$TGT" $((EXT * 512)) 512)" "$(bytes "$D/mbr.img" $((EXT * 512)) 512)" "same EBR on the loop device"
else
	skip "no loop device for the target"
fi
truncate -s 128M "$D/lp.img"
if loop -P "$D/lp.img"; then
	TGT=$LOOPDEV
	check "restore the GPT disk with --grow onto a loop device with partition scanning" \
		restore gptimg nvme0n1 "$TGT" "${TGT#/dev/}" --grow
	# kernels built without the GPT parser (CONFIG_EFI_PARTITION) never show partitions
	if zcat /proc/config.gz 2>/dev/null | grep -q '^CONFIG_EFI_PARTITION=y'; then
		is "$(cat "/sys/class/block/${TGT#/dev/}/${TGT#/dev/}p4/start" 2>/dev/null)" \
			"$(field 4 "$TGT" start)" "the kernel re-read the table: partition 4 where the table says"
	else
		skip "this kernel has no GPT partition parser: cannot see the re-read table"
	fi
	check "same GUIDs on the loop device" cmp <(norm "$D/gpt.img" | grep -v -e '^4 :' -e last-lba) \
		<(norm "$TGT" | grep -v -e '^4 :' -e last-lba)
else
	skip "no loop device with partition scanning"
fi

# ---- bad images ----
cp -r "$M" "$D/repo/broken"
echo "label: dos
/dev/sda1 : start=2048, size=abc" > "$D/repo/broken/sda-pt.sf"
truncate -s 128M "$D/b.img"
check_fails "a damaged sda-pt.sf is refused with the file named" "CORRUPT.*broken.*sda-pt.sf.*line 2" \
	restore broken sda "$D/b.img" sdb
cp "$M/sda-pt.sf" "$D/repo/broken/sda-pt.sf"
head -c 100 "$M/sda-mbr" > "$D/repo/broken/sda-mbr"
check_fails "a short sda-mbr is refused" "CORRUPT.*sda-mbr.*100 bytes" restore broken sda "$D/b.img" sdb
is "$(sha256sum < "$D/b.img")" "$(head -c $((128 << 20)) /dev/zero | sha256sum)" "nothing was written for a damaged image"
check_fails "a disk without a partition table is not saved" "NOTFOUND.*no partition table" "$PT" save "$D/b.img" sdz "$D/repo/none"

done_testing
