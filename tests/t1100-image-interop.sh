#!/bin/bash
# t1100-image-interop.sh - the image readers and the partclone writer against
# the real partclone 0.3.23 and ntfsclone.  NTFS, ext4 (1 KiB and 4 KiB
# blocks), FAT16 and FAT32 images made by partclone (default, -a0, -k 16,
# -K, and -z 10485760 as Clonezilla uses) and by ntfsclone are read by
# tests/helpers/imgdump and restored sparse; the result must equal
# partclone.restore's / ntfsclone's.  Images written by tests/helpers/imgwrite
# must pass partclone.chkimg, show the right fields in partclone.info,
# restore identically, and match partclone's own image byte for byte outside
# the creator string and the header CRC.
set -u

HELPERS=${HELPERS:-$PWD/build/tests/helpers}
DUMP=$HELPERS/imgdump
WRITE=$HELPERS/imgwrite
export LC_ALL=C

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }
# check NAME CMD...: one test point; the command's output goes to the log.
check() {
	local name=$1
	shift
	if "$@" >>"$T/log" 2>&1; then
		ok "$name"
	else
		not_ok "$name"
		tail -5 "$T/log" | sed 's/^/#   /'
	fi
}
# bg NAME CMD...: run in the background (partclone idles 2 s before it exits).
bg() {
	local name=$1
	shift
	("$@" >"$T/$name.out" 2>&1; echo $? >"$T/$name.rc") &
}
rc_of() { cat "$T/$1.rc" 2>/dev/null || echo 99; }
# check_bg NAME JOB: one test point for a finished background job.
check_bg() {
	if [ "$(rc_of "$2")" = 0 ]; then
		ok "$1"
	else
		not_ok "$1"
		tail -3 "$T/$2.out" | sed 's/^/#   /'
	fi
}

for tool in partclone.ntfs partclone.ext4 partclone.fat partclone.restore partclone.chkimg \
	partclone.info ntfsclone mkntfs ntfscp mkfs.ext4 debugfs mkfs.vfat mcopy; do
	if ! command -v "$tool" >/dev/null; then
		skip "$tool is not installed"
		echo "1..$n"
		exit 0
	fi
done
if [ ! -x "$DUMP" ] || [ ! -x "$WRITE" ]; then
	not_ok "helpers imgdump and imgwrite built in $HELPERS"
	echo "1..$n"
	exit 1
fi

T=$(mktemp -d /dev/shm/t1100.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
: >log

# ---- filesystems with some files ----
head -c 3000000 /dev/urandom >rnd.bin
head -c 70000 /dev/urandom >small.bin
mkfs() {
	truncate -s 64M ntfs.img && mkntfs -F -q -Q -L TEST ntfs.img &&
		ntfscp ntfs.img rnd.bin rnd.bin && ntfscp ntfs.img small.bin small.bin || return 1
	truncate -s 64M ext1k.img && mkfs.ext4 -q -F -b 1024 ext1k.img &&
		debugfs -w -R "write rnd.bin rnd.bin" ext1k.img &&
		debugfs -w -R "write small.bin small.bin" ext1k.img || return 1
	truncate -s 64M ext4k.img && mkfs.ext4 -q -F -b 4096 ext4k.img &&
		debugfs -w -R "write rnd.bin rnd.bin" ext4k.img || return 1
	truncate -s 64M fat16.img && mkfs.vfat -F 16 fat16.img &&
		mcopy -i fat16.img rnd.bin ::rnd.bin && mcopy -i fat16.img small.bin ::small.bin ||
		return 1
	truncate -s 64M fat32.img && mkfs.vfat -F 32 fat32.img &&
		mcopy -i fat32.img rnd.bin ::rnd.bin || return 1
}
check "make 64 MiB NTFS, ext4 (1 KiB, 4 KiB), FAT16 and FAT32 with files" mkfs

# ---- images from partclone and ntfsclone (in parallel) ----
bg ntfs partclone.ntfs -c -s ntfs.img -o ntfs.pcl -L /dev/null
bg ntfs-a0 partclone.ntfs -c -a0 -s ntfs.img -o ntfs-a0.pcl -L /dev/null
bg ntfs-k16 partclone.ntfs -c -k 16 -s ntfs.img -o ntfs-k16.pcl -L /dev/null
bg ntfs-K partclone.ntfs -c -K -s ntfs.img -o ntfs-K.pcl -L /dev/null
bg ntfs-z10 partclone.ntfs -c -z 10485760 -s ntfs.img -o ntfs-z10.pcl -L /dev/null # Clonezilla's
bg ext1k partclone.ext4 -c -s ext1k.img -o ext1k.pcl -L /dev/null
bg ext4k partclone.ext4 -c -s ext4k.img -o ext4k.pcl -L /dev/null
bg fat16 partclone.fat -c -s fat16.img -o fat16.pcl -L /dev/null
bg fat32 partclone.fat -c -s fat32.img -o fat32.pcl -L /dev/null
bg nc ntfsclone --save-image -o ntfs.ntfsclone ntfs.img
wait
IMAGES="ntfs ntfs-a0 ntfs-k16 ntfs-K ntfs-z10 ext1k ext4k fat16 fat32"
for i in $IMAGES nc; do
	check_bg "save $i" "$i"
done

# ---- read partclone's images, restore them with partclone too ----
for i in $IMAGES; do
	bg "$i.ref" partclone.restore -W -s "$i.pcl" -o "$i.ref" -L /dev/null
done
# field=value from partclone.info (header fields as partclone reads them)
pinfo() { # IMAGE FIELD-LABEL
	partclone.info -s "$1" -L /dev/null 2>&1 | tr -d '\r' | sed -n "s/^$2 *//p" | head -1
}
info_matches() { # IMAGE DUMP-OUTPUT
	local img=$1 out=$2 bs total used fs
	fs=$(pinfo "$img" "File system:")
	bs=$(pinfo "$img" "Block size:" | sed 's/ Byte//')
	total=$(pinfo "$img" "Device size:" | sed 's/.*= \([0-9]*\) Blocks/\1/')
	used=$(pinfo "$img" "Space in use:" | sed 's/.*= \([0-9]*\) Blocks/\1/')
	grep -qx "format=partclone v2" "$out" && grep -qx "fs=$fs" "$out" &&
		grep -qx "block_size=$bs" "$out" && grep -qx "total_blocks=$total" "$out" &&
		grep -qx "used_blocks=$used" "$out"
}
for i in $IMAGES; do
	check "imgdump reads $i.pcl and restores it sparse" "$DUMP" "$i.pcl" "$i.raw"
	"$DUMP" "$i.pcl" >"$i.dump" 2>&1
	check "$i: our info equals partclone.info (fs, block size, blocks, used)" \
		info_matches "$i.pcl" "$i.dump"
done
wait
for i in $IMAGES; do
	check "$i: our restore equals partclone.restore -W" cmp "$i.raw" "$i.ref"
done
check "ntfs -a0/-k16/-K/-z10M restore to the same bytes" bash -c 'cmp ntfs.raw ntfs-a0.raw &&
	cmp ntfs.raw ntfs-k16.raw && cmp ntfs.raw ntfs-K.raw && cmp ntfs.raw ntfs-z10.raw'
check "ntfs: checksum fields (CRC32 256, none 0, CRC32 16, no reseed)" bash -c '
	grep -qx checksum=CRC32 ntfs.dump && grep -qx bpc=256 ntfs.dump && grep -qx reseed=1 ntfs.dump &&
	grep -qx checksum=none ntfs-a0.dump && grep -qx bpc=0 ntfs-a0.dump &&
	grep -qx bpc=16 ntfs-k16.dump && grep -qx reseed=0 ntfs-K.dump && grep -qx bpc=2560 ntfs-z10.dump &&
	grep -qx fs=EXTFS ext1k.dump && grep -qx block_size=1024 ext1k.dump &&
	grep -qx fs=FAT16 fat16.dump && grep -qx fs=FAT32 fat32.dump && grep -qx block_size=512 fat16.dump'
check "partclone.ntfs misses only the last 512 bytes (backup boot sector)" bash -c \
	"cmp -n $((64 * 1048576 - 512)) ntfs.img ntfs.raw && ! cmp -s ntfs.img ntfs.raw"

# ---- ntfsclone ----
check "imgdump reads the ntfsclone image" "$DUMP" ntfs.ntfsclone nc.raw
"$DUMP" ntfs.ntfsclone >nc.dump 2>&1
used=$(grep ^used_blocks= ntfs.dump | cut -d= -f2)
check "ntfsclone info: format, NTFS, 4096, 16383 clusters, 64 MiB, partclone's used count" bash -c "
	grep -qx format=ntfsclone nc.dump && grep -qx fs=NTFS nc.dump && grep -qx block_size=4096 nc.dump &&
	grep -qx total_blocks=16383 nc.dump && grep -qx device_size=67108864 nc.dump &&
	grep -qx 'creator=ntfsclone 10.1' nc.dump && grep -qx used_blocks=$used nc.dump"
truncate -s 64M nc.ref
check "ntfsclone --restore-image" ntfsclone --restore-image --overwrite nc.ref ntfs.ntfsclone
check "ntfsclone: our restore equals ntfsclone's" cmp nc.raw nc.ref
check "ntfsclone: with the backup boot sector, equal to the source" cmp nc.raw ntfs.img

# ---- damaged images ----
size=$(stat -c %s ntfs.pcl)
head -c $((size - 1000)) ntfs.pcl >cut.pcl
fails_with() { # IMAGE PATTERN: imgdump fails and says PATTERN on stderr
	! "$DUMP" "$1" >/dev/null 2>"$1.err" && grep -q "$2" "$1.err"
}
check "truncated partclone image -> error: TRUNCATED" fails_with cut.pcl '^error: TRUNCATED:'
head -c 3000000 ntfs.ntfsclone >cut.ntfsclone
check "truncated ntfsclone image -> error: TRUNCATED" fails_with cut.ntfsclone '^error: TRUNCATED:'
cp ntfs.pcl bad.pcl
printf '\x55' | dd of=bad.pcl bs=1 seek=$((110 + 2048 + 4 + 300 * 4096 + 77)) conv=notrunc status=none
check "flipped data byte -> error: CHECKSUM naming blocks" \
	fails_with bad.pcl '^error: CHECKSUM: .*blocks [0-9]*\.\.[0-9]*'
cat ntfs.pcl small.bin >trail.pcl
check "trailing data -> error: CORRUPT" fails_with trail.pcl '^error: CORRUPT: trailing'

# ---- our writer: same bitmap and parameters as partclone's images ----
for i in $IMAGES; do
	check "imgwrite $i.ours from $i.pcl's header and bitmap" \
		"$WRITE" --like "$i.pcl" "$i.raw" "$i.ours"
	bg "$i.chk" partclone.chkimg -s "$i.ours" -L /dev/null
	bg "$i.oref" partclone.restore -W -s "$i.ours" -o "$i.oref" -L /dev/null
done
same_but_creator() { # A B: equal outside bytes 16..29 (creator) and 106..109 (header CRC)
	cmp -n 16 "$1" "$2" &&
		cmp <(head -c 106 "$1" | tail -c +31) <(head -c 106 "$2" | tail -c +31) &&
		cmp <(tail -c +111 "$1") <(tail -c +111 "$2")
}
for i in $IMAGES; do
	check "$i: our image equals partclone's byte for byte (but creator and header CRC)" \
		same_but_creator "$i.pcl" "$i.ours"
done
FIELDS='^(File system|Device size|Space in use|Block size|image format|bitmap mode|checksum|'
FIELDS+='blocks/checksum|reseed)'
ours_info() { # IMAGE PARTCLONE-IMAGE
	local a b
	a=$(partclone.info -s "$1" -L /dev/null 2>&1 | grep -E "$FIELDS")
	b=$(partclone.info -s "$2" -L /dev/null 2>&1 | grep -E "$FIELDS")
	[ -n "$a" ] && [ "$a" = "$b" ] &&
		partclone.info -s "$1" -L /dev/null 2>&1 | grep -q '^with partclone: *vclonecast-0.1$'
}
for i in $IMAGES; do
	check "$i: partclone.info of ours shows partclone's fields and creator clonecast-0.1" \
		ours_info "$i.ours" "$i.pcl"
done
wait
for i in $IMAGES; do
	check_bg "$i: partclone.chkimg accepts ours" "$i.chk"
	check "$i: partclone.restore of ours gives the same bytes" cmp "$i.oref" "$i.raw"
done

# ---- our writer on its own: every non-zero block used ----
{
	"$WRITE" fat16.img 512 FAT16 s-fat.pcl crc32
	"$WRITE" ext4k.img 4096 EXTFS s-ext.pcl none
	"$WRITE" ntfs.img 4096 NTFS s-ntfs.pcl crc32 7 0
	"$WRITE" ntfs.img 4096 NTFS s-xx.pcl xxh128 100
	"$WRITE" ntfs.img 4096 NTFS s-x64.pcl xxh64 1 0
} >>log 2>&1
for s in s-fat s-ext s-ntfs; do
	bg "$s.chk" partclone.chkimg -s "$s.pcl" -L /dev/null
	bg "$s.ref" partclone.restore -W -s "$s.pcl" -o "$s.ref" -L /dev/null
done
wait
src() { case $1 in s-fat) echo fat16.img ;; s-ext) echo ext4k.img ;; *) echo ntfs.img ;; esac; }
for s in s-fat s-ext s-ntfs; do
	check_bg "$s.pcl (non-zero blocks): partclone.chkimg accepts it" "$s.chk"
	check "$s.pcl: partclone.restore gives back the whole source" cmp "$s.ref" "$(src $s)"
done
for s in s-xx s-x64; do
	check "$s.pcl (XXH, which partclone 0.3.23 cannot read): our reader gives back the source" \
		bash -c "'$DUMP' $s.pcl $s.raw >/dev/null && cmp $s.raw ntfs.img"
done

# ---- format 0001, built by hand, checked by partclone 0.3.23 ----
if command -v python3 >/dev/null; then
	python3 - <<'EOF' >>log 2>&1
import os, random, struct
tab = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
    tab.append(c)
def crc0001(c, blk):
    b = blk[0]
    for _ in range(len(blk)):
        c = (c >> 8) ^ tab[(c ^ b) & 0xff]
    return c
bs, total = 1024, 200
random.seed(7)
used = [i for i in range(total) if random.random() < 0.4]
src = bytearray(os.urandom(total * bs))
hdr = bytearray(4160)
hdr[0:15] = b'partclone-image'; hdr[15:20] = b'EXTFS'; hdr[30:34] = b'0001'
struct.pack_into('<iQQQ', hdr, 36, bs, total * bs, total, len(used))
bm = bytes(1 if i in used else 0 for i in range(total)) + b'BiTmAgIc'
for name, size in (('v1.pcl', 4), ('v1x64.pcl', 8)):
    out, crc = bytearray(hdr) + bm, 0xffffffff
    for i in used:
        blk = src[i * bs:(i + 1) * bs]
        crc = crc0001(crc, blk)
        out += blk + struct.pack('<I' if size == 4 else '<Q', crc)
    open(name, 'wb').write(out)
ref = bytearray(total * bs)
for i in used:
    ref[i * bs:(i + 1) * bs] = src[i * bs:(i + 1) * bs]
open('v1.src', 'wb').write(ref)
EOF
	bg v1.chk partclone.chkimg -s v1.pcl -L /dev/null
	bg v1.ref partclone.restore -W -s v1.pcl -o v1.ref -L /dev/null
	wait
	check_bg "format 0001 built by hand: partclone.chkimg accepts it" v1.chk
	check "format 0001: our restore equals partclone.restore's and the source" \
		bash -c "'$DUMP' v1.pcl v1.raw >/dev/null && cmp v1.raw v1.ref && cmp v1.raw v1.src"
	check "format 0001 with 8-byte CRCs (old 64-bit builds): read and verified" \
		bash -c "'$DUMP' v1x64.pcl v1x64.raw | grep -qx checksum_size=8 && cmp v1x64.raw v1.src"
else
	skip "python3 missing: no hand-built format 0001 image"
fi

echo "1..$n"
