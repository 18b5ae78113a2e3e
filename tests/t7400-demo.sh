#!/bin/bash
# t7400-demo: the demo's files (cc_demo_prepare, via tests/helpers/demo-tool): the GPT layout,
# both filesystems clean with their files, sparse files, reuse on the second call, recovery from
# an interrupted preparation, the disk description (cc_describe_disk_file, cc_list_disks), and a
# savedisk / restoredisk round trip with ./clonecast giving an identical disk.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/diskimg.sh"
DT=$HELPERS/demo-tool
CC=$CLONECAST
make_scratch; D=$SCRATCH
trap 'exit 130' INT TERM
DEMO=$D/demo/sub # made with its parents
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# ---- first preparation ----
t0=$(date +%s%N)
check "prepare a new demo folder (parents made too)" "$DT" "$DEMO"
t=$(ms $t0); diag "first preparation: $t ms"
ok $([ "$t" -lt 15000 ] && echo 0 || echo 1) "prepared in a few seconds ($t ms)"
is "$(stat -c %s "$DEMO/demo-disk.img" 2>/dev/null)" 268435456 "demo-disk.img is 256 MiB"
is "$(stat -c %s "$DEMO/demo-target.img" 2>/dev/null)" 268435456 "demo-target.img is 256 MiB"
ok $([ -d "$DEMO/repo" ] && [ -z "$(ls -A "$DEMO/repo")" ] && echo 0 || echo 1) "repo/ is an empty folder"
is "$(ls -A "$DEMO" | tr '\n' ' ')" "demo-disk.img demo-target.img repo " "nothing else left in the folder (no temporary files)"
used=$(( $(stat -c '%b*%B' "$DEMO/demo-disk.img") ))
ok $([ $used -gt $((25 << 20)) ] && [ $used -lt $((64 << 20)) ] && echo 0 || echo 1) "demo-disk.img is sparse: $((used >> 20)) MiB used"
is "$(( $(stat -c '%b*%B' "$DEMO/demo-target.img") ))" 0 "demo-target.img is blank and takes no space"

# ---- layout ----
dump=$(sfdisk -d "$DEMO/demo-disk.img")
is "$(printf '%s\n' "$dump" | sed -n 's/^label: //p')" gpt "GPT"
is "$(printf '%s\n' "$dump" | grep -c 'start=')" 2 "two partitions"
p1=$(printf '%s\n' "$dump" | grep 'img1 :'); p2=$(printf '%s\n' "$dump" | grep 'img2 :')
ok $([[ "$p1" =~ start=\ +2048,\ size=\ +262144,\ type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7,.*name=\"DEMO-WIN\" ]] && echo 0 || echo 1) \
	"p1: 128 MiB from 1 MiB, Microsoft basic data, named DEMO-WIN"
ok $([[ "$p2" =~ start=\ +264192,\ size=\ +258048,\ type=0FC63DAF-8483-4772-8E79-3D477DE47984,.*name=\"demo-linux\" ]] && echo 0 || echo 1) \
	"p2: the rest (1 MiB aligned), Linux filesystem, named demo-linux"
# the NTFS boot sector: hidden sectors (the partition's start), sectors/track, heads
is "$(od -An -tu4 -j $((1048576 + 0x1c)) -N4 "$DEMO/demo-disk.img" | tr -d ' ')" 2048 "NTFS boot sector: partition start 2048 (mkntfs -p)"
is "$(od -An -tu2 -j $((1048576 + 0x18)) -N4 "$DEMO/demo-disk.img" | xargs)" "63 255" "NTFS boot sector: geometry 255 heads, 63 sectors"

# ---- filesystems and files ----
dd if="$DEMO/demo-disk.img" of="$D/p1" bs=1M skip=1 count=128 conv=sparse status=none
dd if="$DEMO/demo-disk.img" of="$D/p2" bs=1M skip=129 count=126 conv=sparse status=none
check "NTFS clean (ntfsfix -n)" ntfsfix -n "$D/p1"
check "ext4 clean (e2fsck -fn)" e2fsck -fn "$D/p2"
is "$(ntfsinfo -m "$D/p1" 2>/dev/null | sed -n 's/^[[:space:]]*Volume Name: //p')" DEMO-WIN "NTFS label DEMO-WIN"
is "$(blkid -p -s LABEL -o value "$D/p2")" demo-linux "ext4 label demo-linux"
nls=$(ntfsls -l "$D/p1" 2>/dev/null)
is "$(printf '%s\n' "$nls" | awk '{print $NF}' | LC_ALL=C sort | tr '\n' ' ')" \
	"README.txt archive.zip budget.xlsx holiday.mp4 photo-0001.jpg photo-0002.jpg photo-0003.jpg report-2024.txt setup.exe " \
	"NTFS: README and the generated files in the root"
nbytes=$(printf '%s\n' "$nls" | awk '{s+=$1} END {print s}')
ok $([ "$nbytes" -gt $((18 << 20)) ] && [ "$nbytes" -lt $((24 << 20)) ] && echo 0 || echo 1) "NTFS: about 20 MB of files ($nbytes bytes)"
ok $(ntfscat "$D/p1" README.txt 2>/dev/null | grep -q 'Clonecast demo disk' && echo 0 || echo 1) "NTFS: README.txt readable"
els=$(debugfs -R "ls -p /home/demo" "$D/p2" 2>/dev/null | awk -F/ '$6 != "" {print $6}' | grep -v '^\.' | LC_ALL=C sort | tr '\n' ' ')
is "$els" "Music Pictures latest-notes notes.txt " "ext4: a tree with subfolders and a symbolic link"
ebytes=$(debugfs -R "stat /usr/share/demo/data.bin" "$D/p2" 2>/dev/null | sed -n 's/^.*[[:space:]]Size: \([0-9]*\).*/\1/p' | head -1)
is "$ebytes" $((2304 * 1024)) "ext4: a generated file of the expected size"
# data = used blocks minus those of the same ext4 made empty
e2used() { dumpe2fs -h "$1" 2>/dev/null | awk -F: '/^Block count/ {b=$2} /^Free blocks/ {f=$2} /^Block size/ {s=$2} END {print (b-f)*s}'; }
truncate -s $((258048 * 512)) "$D/empty"; mkfs.ext4 -F -q "$D/empty"
eused=$(( $(e2used "$D/p2") - $(e2used "$D/empty") ))
ok $([ "$eused" -gt $((9 << 20)) ] && [ "$eused" -lt $((14 << 20)) ] && echo 0 || echo 1) "ext4: about 10 MB of files ($eused bytes)"
rm -f "$D/empty"
rm -f "$D/p1" "$D/p2"

# ---- the same content every time ----
check "a second demo folder" "$DT" "$D/other"
diskimg_manifest "$DEMO/demo-disk.img" "$D/m1" >/dev/null 2>&1
diskimg_manifest "$D/other/demo-disk.img" "$D/m2" >/dev/null 2>&1
check "the same files (names and contents) in both" cmp <(grep -E '^[0-9a-f]{64}  |^files|^dir' "$D/m1") <(grep -E '^[0-9a-f]{64}  |^files|^dir' "$D/m2")
rm -rf "$D/other"

# ---- reuse ----
echo mine > "$DEMO/repo/marker"
before=$(stat -c '%i %Y %s' "$DEMO/demo-disk.img" "$DEMO/demo-target.img")
t0=$(date +%s%N)
check "second call on the same folder" "$DT" "$DEMO"
t=$(ms $t0); diag "second call: $t ms"
ok $([ "$t" -lt 1000 ] && echo 0 || echo 1) "second call is fast ($t ms): everything reused"
is "$(stat -c '%i %Y %s' "$DEMO/demo-disk.img" "$DEMO/demo-target.img")" "$before" "the disk and the target were not rewritten"
is "$(cat "$DEMO/repo/marker" 2>/dev/null)" mine "repo/ kept with its content"
rm -f "$DEMO/repo/marker"
rm -f "$DEMO/demo-target.img"
disk_id=$(stat -c '%i %Y' "$DEMO/demo-disk.img")
check "a missing target is made again" "$DT" "$DEMO"
is "$(stat -c %s "$DEMO/demo-target.img" 2>/dev/null) $(stat -c '%i %Y' "$DEMO/demo-disk.img")" "268435456 $disk_id" \
	"target back, disk untouched"

# ---- interrupted or damaged preparations are not reused ----
cp --sparse=always "$DEMO/demo-disk.img" "$D/good.img"
truncate -s 100M "$D/$$.junk"
mv "$D/$$.junk" "$DEMO/.demo-disk.img.tmp"; mkdir -p "$DEMO/.demo-staging.tmp/win"; echo x > "$DEMO/.demo-ntfs.tmp"
truncate -s 200M "$DEMO/demo-disk.img" # a wrong size
check "a wrong-size disk and stale temporary files: prepared again" "$DT" "$DEMO"
is "$(ls -A "$DEMO" | tr '\n' ' ')" "demo-disk.img demo-target.img repo " "stale temporary files removed"
diskimg_manifest "$DEMO/demo-disk.img" "$D/m3" >/dev/null 2>&1
check "rebuilt with the same files" cmp <(grep -E '^[0-9a-f]{64}  ' "$D/m1") <(grep -E '^[0-9a-f]{64}  ' "$D/m3")
dd if=/dev/zero of="$DEMO/demo-disk.img" bs=512 count=34 conv=notrunc status=none # no table any more
check "a disk without its table: prepared again" "$DT" "$DEMO"
is "$(sfdisk -d "$DEMO/demo-disk.img" 2>/dev/null | grep -c 'start=')" 2 "table back"
dd if=/dev/zero of="$DEMO/demo-disk.img" bs=512 seek=2048 count=1 conv=notrunc status=none # NTFS boot sector gone
check "a disk without its NTFS: prepared again" "$DT" "$DEMO"
is "$(blkid -p -O 1048576 -s TYPE -o value "$DEMO/demo-disk.img")" ntfs "NTFS back"
rm -f "$D/good.img"

# ---- failures ----
echo x > "$D/afile"
check_fails "a file where the folder should be" "EXISTS: '$D/afile' exists and is not a folder" "$DT" "$D/afile"
mkdir -p "$D/bin"; ln -s "$(command -v sfdisk)" "$D/bin/sfdisk"
check_fails "mkntfs missing: names the package" "NOTFOUND: mkntfs is not installed: install the Debian package 'ntfs-3g'" \
	env PATH="$D/bin" "$DT" "$D/nodemo"

# ---- description of the files (what the wizard shows) ----
desc=$("$DT" --describe "$DEMO/demo-disk.img" 2>&1)
is "$desc" "disk demo-disk.img $DEMO/demo-disk.img 268435456 gpt 2 1 0 0 0 image file
part demo-disk.img#1 $DEMO/demo-disk.img#1 1048576 134217728 ntfs DEMO-WIN 0
part demo-disk.img#2 $DEMO/demo-disk.img#2 135266304 132120576 ext4 demo-linux 0" "describe demo-disk.img: table, partitions, filesystems, labels"
is "$("$DT" --describe "$DEMO/demo-target.img" 2>&1)" "disk demo-target.img $DEMO/demo-target.img 268435456 - 0 1 0 0 0 image file" \
	"describe demo-target.img: no table, no partitions"
is "$(CLONECAST_LIVE_MEDIUM="$DEMO/demo-disk.img" "$DT" --describe "$DEMO/demo-disk.img" | head -1 | cut -d' ' -f10)" 1 \
	"\$CLONECAST_LIVE_MEDIUM marks the live medium"
check_fails "describe a missing file" "NOTFOUND: cannot open the disk image '$D/nope.img'" "$DT" --describe "$D/nope.img"
check_fails "describe a folder" "BAD_ARGS: '$D' is not a regular file" "$DT" --describe "$D"
# a partition of the file mounted through a loop device: the file is in use
mnt=$D/mnt; mkdir -p "$mnt"
if loop=$(losetup -r -f --show -o $((264192 * 512)) --sizelimit $((258048 * 512)) "$DEMO/demo-disk.img" 2>/dev/null); then
	at_exit "losetup -d $loop"
	if mount -r -t ext4 "$loop" "$mnt" 2>/dev/null; then
		at_exit "umount '$mnt'"
		is "$("$DT" --describe "$DEMO/demo-disk.img" | head -1 | cut -d' ' -f9)" 1 "a file mounted through a loop device is 'mounted'"
		umount "$mnt"
	else
		skip "cannot mount here"
	fi
	losetup -d "$loop"
else
	skip "no loop devices here"
fi

# ---- the machine's disks ----
list=$("$DT" --list 2>&1); rc=$?
ok $rc "list the machine's disks"
ok $(printf '%s\n' "$list" | grep -vqE '^(disk|part) ' && echo 1 || echo 0) "every line is a disk or a partition"
ok $(printf '%s\n' "$list" | grep -qE '^disk (loop|ram|zram|sr|fd|md|dm-)' && echo 1 || echo 0) "no loop, ram, zram, sr, fd, md or dm devices"
is "$(printf '%s\n' "$list" | awk '$1 == "disk" {print $2}' | tr '\n' ' ')" \
	"$(printf '%s\n' "$list" | awk '$1 == "disk" {print $2}' | sort -V | tr '\n' ' ')" "sorted by name"
root=$(findmnt -n -o MAJ:MIN / 2>/dev/null | tr -d " ")
rootdisk=
for d in $(printf '%s\n' "$list" | awk '$1 == "disk" {print $2}'); do
	[ "$(cat /sys/block/$d/dev)" = "$root" ] && rootdisk=$d
	for p in /sys/block/$d/$d*/dev; do [ -e "$p" ] && [ "$(cat "$p")" = "$root" ] && rootdisk=$d; done
done
if [ -n "$rootdisk" ]; then
	is "$(printf '%s\n' "$list" | awk -v d="$rootdisk" '$1 == "disk" && $2 == d {print $9}')" 1 "$rootdisk, holding /, is mounted"
	is "$(CLONECAST_LIVE_MEDIUM=$rootdisk "$DT" --list | awk -v d="$rootdisk" '$1 == "disk" && $2 == d {print $10}')" 1 \
		"\$CLONECAST_LIVE_MEDIUM=$rootdisk marks it as the live medium"
else
	skip "/ is not on a disk of /sys/block here"
	skip "/ is not on a disk of /sys/block here"
fi

# ---- savedisk / restoredisk round trip with clonecast ----
R=$DEMO/repo
t0=$(date +%s%N)
check "savedisk of demo-disk.img into repo/" "$CC" savedisk -q -r "$R" demo "$DEMO/demo-disk.img"
diag "savedisk: $(ms $t0) ms"
ok $(ls "$R/demo" | grep -q '^sda1\.ntfs-ptcl-img' && ls "$R/demo" | grep -q '^sda2\.ext4-ptcl-img' && echo 0 || echo 1) \
	"image has the NTFS and the ext4 partition images"
t0=$(date +%s%N)
check "restoredisk onto demo-target.img" "$CC" restoredisk -q -b -r "$R" demo "$DEMO/demo-target.img"
diag "restoredisk: $(ms $t0) ms"
diskimg_manifest "$DEMO/demo-target.img" "$D/m4" >/dev/null 2>&1
diskimg_manifest "$DEMO/demo-disk.img" "$D/m5" >/dev/null 2>&1
check "table, boot code, filesystem ids and every file identical" cmp "$D/m5" "$D/m4"
check "both filesystems of the target clean" diskimg_fsck "$DEMO/demo-target.img"
is "$("$DT" --describe "$DEMO/demo-target.img" | cut -d' ' -f6,7 | tail -2 | tr '\n' ' ')" "ntfs DEMO-WIN ext4 demo-linux " \
	"the target is described with both filesystems"
check "the demo folder with a saved image is still reused" "$DT" "$DEMO"
ok $([ -d "$R/demo" ] && echo 0 || echo 1) "the saved image is kept"

done_testing
