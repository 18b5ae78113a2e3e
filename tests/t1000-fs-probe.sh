#!/bin/bash
# t1000-fs-probe.sh - the filesystem layer: probing, geometry and used-block
# bitmaps of NTFS, ext2/3/4, FAT12/16/32 and raw, compared bit for bit with
# partclone 0.3.23 (and with dumpe2fs / mshowfat where partclone cannot
# serve: ext4 bigalloc, FAT12); dirty, hibernated and corrupt inputs are
# refused with the right error and never crash.
. "$(dirname "$0")/lib/tap.sh"
export LC_ALL=C
FSINFO=$HELPERS/fsinfo
MARKDIRTY=$HELPERS/ntfs-mark-dirty

missing=
for t in python3 partclone.ntfs partclone.ext4 partclone.ext2 partclone.ext3 partclone.fat \
	mkntfs ntfscp mkfs.ext4 mkfs.ext3 mkfs.ext2 debugfs dumpe2fs mkfs.vfat fsck.fat mcopy \
	mdel mmd mdir mshowfat blkid; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
[ -x "$FSINFO" ] && [ -x "$MARKDIRTY" ] || missing="$missing $FSINFO $MARKDIRTY"
if [ -n "$missing" ]; then
	skip "missing:$missing"
	done_testing
	exit 0
fi

make_scratch; T=$SCRATCH
cd "$T" || exit 1

# --- helpers ---------------------------------------------------------------

cat >pc.py <<'EOF'
import re, struct, sys

def bits(path, n, off=0):
    d = open(path, 'rb').read()[off:off + (n + 7) // 8]
    return d

def getbit(d, i):
    return (d[i >> 3] >> (i & 7)) & 1

def cmp_bits(a, b, n):
    """'same' or the first differing bit, comparing bits [0, n) only."""
    full = n // 8
    if a[:full] != b[:full] or len(a) < (n + 7) // 8 or len(b) < (n + 7) // 8:
        for i in range(n):
            if i // 8 >= min(len(a), len(b)) or getbit(a, i) != getbit(b, i):
                return 'bit %d differs' % i
    for i in range(full * 8, n):
        if getbit(a, i) != getbit(b, i):
            return 'bit %d differs' % i
    return 'same'

def setrange(bm, s, n):
    for i in range(s, s + n):
        bm[i >> 3] |= 1 << (i & 7)

cmd = sys.argv[1]
if cmd == 'hdr':        # hdr PCL -> "tag block_size total used"
    h = open(sys.argv[2], 'rb').read(110)
    tag = h[36:52].rstrip(b'\0').decode()
    total, used = struct.unpack('<QQ', h[60:76])
    bs, = struct.unpack('<I', h[84:88])
    print(tag, bs, total, used)
elif cmd == 'cmp':      # cmp OURS PCL NBITS: our bitmap vs partclone's, first NBITS bits
    n = int(sys.argv[4])
    print(cmp_bits(bits(sys.argv[2], n), bits(sys.argv[3], n, 110), n))
elif cmd == 'cmpfile':  # cmpfile OURS EXPECTED NBITS
    n = int(sys.argv[4])
    print(cmp_bits(bits(sys.argv[2], n), bits(sys.argv[3], n), n))
elif cmd == 'bit':      # bit FILE N
    print(getbit(open(sys.argv[2], 'rb').read(), int(sys.argv[3])))
elif cmd == 'ones':     # ones FILE NBITS: are bits [0, NBITS) all set and the rest clear?
    d, n = open(sys.argv[2], 'rb').read(), int(sys.argv[3])
    ok = len(d) == (n + 7) // 8 and all(getbit(d, i) == (i < n) for i in range(len(d) * 8))
    print('yes' if ok else 'no')
elif cmd == 'ext':      # ext DUMPE2FS_OUT OUT: expected bitmap from the free ranges
    txt = open(sys.argv[2]).read()
    total = int(re.search(r'^Block count:\s+(\d+)', txt, re.M).group(1))
    bsz = int(re.search(r'^Block size:\s+(\d+)', txt, re.M).group(1))
    m = re.search(r'^Cluster size:\s+(\d+)', txt, re.M)
    ratio = int(m.group(1)) // bsz if m else 1
    bm = bytearray(b'\xff' * ((total + 7) // 8))
    for line in re.findall(r'^\s+Free blocks: (.*)$', txt, re.M):
        for r in filter(None, (x.strip() for x in line.split(','))):
            a, _, b = r.partition('-')
            a = int(a); b = int(b or a) + ratio - 1   # bigalloc: cluster starts
            for i in range(a, min(b, total - 1) + 1):
                bm[i >> 3] &= ~(1 << (i & 7)) & 0xff
    if total & 7:
        bm[-1] &= (1 << (total & 7)) - 1
    open(sys.argv[3], 'wb').write(bm)
elif cmd == 'fat':      # fat FSCK_OUT CHAINS OUT BADCLUSTERS...: expected bitmap
    txt = open(sys.argv[2]).read()
    sec = int(re.search(r'(\d+) bytes per logical sector', txt).group(1))
    spc = int(re.search(r'(\d+) bytes per cluster', txt).group(1)) // sec
    first = int(re.search(r'Data area starts at byte \d+ \(sector (\d+)\)', txt).group(1))
    ncl = int(re.search(r'(\d+) data clusters', txt).group(1))
    total = int(re.search(r'(\d+) sectors total', txt).group(1))
    bm = bytearray((total + 7) // 8)
    setrange(bm, 0, first)
    setrange(bm, first + ncl * spc, total - first - ncl * spc)   # slack, as partclone
    for a, b in re.findall(r'<(\d+)(?:-(\d+))?>', open(sys.argv[3]).read()):
        for c in range(max(int(a), 2), int(b or a) + 1):
            setrange(bm, first + (c - 2) * spc, spc)
    open(sys.argv[4], 'wb').write(bm)
    print(total)
elif cmd == 'poke':     # poke FILE OFFSET FMT VALUE: write one little-endian field
    with open(sys.argv[2], 'r+b') as f:
        f.seek(int(sys.argv[3], 0))
        f.write(struct.pack('<' + sys.argv[4], int(sys.argv[5], 0)))
elif cmd == 'peek':     # peek FILE OFFSET FMT
    with open(sys.argv[2], 'rb') as f:
        f.seek(int(sys.argv[3], 0))
        fmt = '<' + sys.argv[4]
        print(struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0])
EOF
pc() { python3 "$T/pc.py" "$@"; }

# kv FILE KEY: a value from fsinfo's output
kv() { sed -n "s/^$2=//p" "$1"; }

# info NAME IMG [fsinfo options]: run fsinfo, keep NAME.info / NAME.bm / NAME.err
info() {
	local name=$1 img=$2
	shift 2
	"$FSINFO" "$@" "$img" "$name.bm" >"$name.info" 2>"$name.err"
}

# refused NAME ERRNAME IMG [fsinfo options]: fsinfo must exit 1 with "error: ERRNAME:"
refused() {
	local name=$1 want=$2 img=$3 rc
	shift 3
	"$FSINFO" "$@" "$img" refused.bm >/dev/null 2>refused.err
	rc=$?
	if [ $rc -eq 1 ] && grep -q "^error: $want: " refused.err; then
		ok 0 "$name"
	else
		ok 1 "$name"
		echo "#   exit $rc, wanted 1 and error $want; stderr:"
		sed 's/^/#   /' refused.err | head -5
	fi
}

PC_PIDS=()
# partclone_bg TOOL IMG: partclone's image of IMG into IMG.pcl, in the background
partclone_bg() {
	"$1" -c -s "$2" -o "$2.pcl" -L /dev/null >/dev/null 2>&1 &
	PC_PIDS+=($!)
}

# same_as_partclone NAME IMG TYPE MODE: geometry and bitmap equal partclone's;
# MODE "tail": ours has one more block (the NTFS backup boot sector), used.
same_as_partclone() {
	local name=$1 img=$2 type=$3 mode=$4 tag bs total used
	info "$name" "$img"
	ok $? "$name: fsinfo reads it"
	[ -s "$name.err" ] && sed 's/^/#   /' "$name.err"
	if [ ! -s "$img.pcl" ]; then
		ok 1 "$name: partclone made an image"
		return
	fi
	read -r tag bs total used < <(pc hdr "$img.pcl")
	is "$(kv "$name.info" type)/$(kv "$name.info" tag)" "$type/$tag" "$name: type $type, tag $tag"
	is "$(kv "$name.info" block_size)" "$bs" "$name: block size $bs as partclone"
	if [ "$mode" = tail ]; then
		is "$(kv "$name.info" total_blocks)/$(kv "$name.info" used_blocks)" \
			"$((total + 1))/$((used + 1))" \
			"$name: total/used = partclone's + 1 (backup boot sector block)"
		is "$(pc bit "$name.bm" "$total")" 1 "$name: block nr_clusters ($total) is used"
	else
		is "$(kv "$name.info" total_blocks)/$(kv "$name.info" used_blocks)" \
			"$total/$used" "$name: total/used blocks as partclone ($total/$used)"
	fi
	is "$(pc cmp "$name.bm" "$img.pcl" "$total")" same "$name: bitmap equals partclone's"
}

# same_ids NAME IMG: label and UUID as blkid reports them
same_ids() {
	is "$(kv "$1.info" label)|$(kv "$1.info" uuid)" \
		"$(blkid -o value -s LABEL "$2")|$(blkid -o value -s UUID "$2")" \
		"$1: label and uuid as blkid"
}

# fat_chains IMG: every cluster chain of every file and directory
fat_chains() {
	local p
	{ echo ::/; mdir -i "$1" -/ -b :: 2>/dev/null; } | while read -r p; do
		mshowfat -i "$1" "$p"
	done
}

# --- fixtures --------------------------------------------------------------

head -c 2500000 /dev/urandom >big.bin
head -c 300000 /dev/urandom >mid.bin
head -c 20000 /dev/urandom >small.bin
mkdir -p tree/sub
cp big.bin tree/a.bin
cp mid.bin tree/b.bin
cp mid.bin tree/sub/c.bin
cp small.bin tree/sub/d.bin

# ntfs_fill IMG: files, then shrink the first one to leave a hole
ntfs_fill() {
	ntfscp "$1" big.bin a.bin && ntfscp "$1" mid.bin b.bin && ntfscp "$1" small.bin c.bin &&
		ntfscp -f "$1" small.bin a.bin
}

# NTFS, 4 KiB clusters, 64 MiB: the backup boot sector block fits
truncate -s 64M n4k.img
mkntfs -F -q -Q -L CCNTFS n4k.img >/dev/null 2>&1 && ntfs_fill n4k.img >/dev/null 2>&1
ok $? "mkntfs + ntfscp: 4 KiB clusters"
# NTFS, 1 KiB clusters
truncate -s 24M n1k.img
mkntfs -F -q -Q -c 1024 n1k.img >/dev/null 2>&1 && ntfs_fill n1k.img >/dev/null 2>&1
ok $? "mkntfs + ntfscp: 1 KiB clusters"
# NTFS whose size is not a multiple of the cluster size: no room for the tail block
truncate -s $((48 * 1024 * 1024 + 2048)) nodd.img
mkntfs -F -q -Q nodd.img >/dev/null 2>&1 && ntfs_fill nodd.img >/dev/null 2>&1
ok $? "mkntfs + ntfscp: size not a multiple of the cluster size"

# ext_fill IMG: remove one file to leave a hole
ext_fill() { debugfs -w -R "rm b.bin" "$1" >/dev/null 2>&1; }
truncate -s 64M e4.img
mkfs.ext4 -q -F -b 1024 -L CCEXT4 -d tree e4.img && ext_fill e4.img
ok $? "mkfs.ext4 -b 1024 -d"
truncate -s 128M e4k.img
mkfs.ext4 -q -F -b 4096 -O 64bit -d tree e4k.img && ext_fill e4k.img
ok $? "mkfs.ext4 -b 4096 -O 64bit -d"
# uninit_bg instead of metadata_csum: BLOCK_UNINIT groups holding backup superblocks
truncate -s 1G e4ub.img
mkfs.ext4 -q -F -b 4096 -O ^metadata_csum,^64bit,uninit_bg -d tree e4ub.img && ext_fill e4ub.img
ok $? "mkfs.ext4 -O uninit_bg, 1 GiB sparse"
truncate -s 32M e2.img
mkfs.ext2 -q -F -d tree e2.img && ext_fill e2.img
ok $? "mkfs.ext2 -d"
truncate -s 32M e3.img
mkfs.ext3 -q -F -L CCEXT3 -d tree e3.img && ext_fill e3.img
ok $? "mkfs.ext3 -d"
truncate -s 128M ebig.img
mkfs.ext4 -q -F -b 1024 -O bigalloc -C 16384 -d tree ebig.img >/dev/null 2>&1 && ext_fill ebig.img
ok $? "mkfs.ext4 -O bigalloc -C 16384 -d"

# fat_fill IMG: files and a directory, then delete one to leave a hole
fat_fill() {
	mcopy -i "$1" big.bin ::a.bin && mcopy -i "$1" mid.bin ::b.bin && mmd -i "$1" ::dir &&
		mcopy -i "$1" small.bin ::dir/c.bin && mcopy -i "$1" mid.bin ::dir/d.bin &&
		mdel -i "$1" ::b.bin
}
truncate -s 8M f12.img
mkfs.vfat -F 12 -n CCFAT12 f12.img >/dev/null && mcopy -i f12.img mid.bin ::x.bin &&
	mcopy -i f12.img small.bin ::y.bin && mmd -i f12.img ::dir &&
	mcopy -i f12.img mid.bin ::dir/z.bin && mdel -i f12.img ::x.bin
ok $? "mkfs.vfat -F 12 + mtools"
# FAT16, 8 KiB clusters, a bad cluster and 3 slack sectors after the last cluster
truncate -s $((33 * 1024 * 1024 + 3 * 512)) f16.img
mkfs.vfat -F 16 -s 16 -n CCFAT16 f16.img >/dev/null && fat_fill f16.img
ok $? "mkfs.vfat -F 16 + mtools"
res=$(pc peek f16.img 14 H) nf=$(pc peek f16.img 16 B) fsz=$(pc peek f16.img 22 H)
for ((i = 0; i < nf; i++)); do
	pc poke f16.img $(((res + i * fsz) * 512 + 4000 * 2)) H 0xFFF7 # cluster 4000 is bad
done
pc poke f16.img 32 I $(($(pc peek f16.img 32 I) + 3)) # total sectors: + 3 slack
fsck.fat -n f16.img >/dev/null 2>&1
ok $? "FAT16 with a bad cluster and slack sectors passes fsck.fat"
truncate -s 64M f32.img
mkfs.vfat -F 32 -n CCFAT32 f32.img >/dev/null 2>&1 && fat_fill f32.img
ok $? "mkfs.vfat -F 32 + mtools"
# a FAT16 smaller than its device (30000 KiB on 40 MiB), and 4 KiB-sector FAT32
truncate -s 40M fpart.img
mkfs.vfat -F 16 fpart.img 30000 >/dev/null 2>&1 && mcopy -i fpart.img mid.bin ::m.bin
ok $? "mkfs.vfat -F 16 on part of a device"
truncate -s 64M f4k.img
mkfs.vfat -F 32 -S 4096 f4k.img >/dev/null 2>&1
ok $? "mkfs.vfat -F 32 -S 4096"

for img in n4k n1k nodd; do partclone_bg partclone.ntfs $img.img; done
for img in e4 e4k e4ub; do partclone_bg partclone.ext4 $img.img; done
partclone_bg partclone.ext2 e2.img
partclone_bg partclone.ext3 e3.img
for img in f12 f16 f32 fpart f4k; do partclone_bg partclone.fat $img.img; done
wait "${PC_PIDS[@]}"

# --- NTFS ------------------------------------------------------------------

same_as_partclone n4k n4k.img ntfs tail
same_ids n4k n4k.img
same_as_partclone n1k n1k.img ntfs tail
same_as_partclone nodd nodd.img ntfs exact

cp n1k.img dirty.img
"$MARKDIRTY" dirty.img
ok $? "ntfs-mark-dirty sets the dirty flag"
refused "dirty NTFS is refused" DIRTY_FS dirty.img
grep -q "chkdsk /f" refused.err
ok $? "the dirty NTFS message says to run chkdsk /f"
info dirty-forced dirty.img --force
ok $? "dirty NTFS is read with --force"

cp n1k.img hiber.img
{ printf 'HIBR'; head -c 8188 /dev/zero; } >hiberfil.bin
ntfscp hiber.img hiberfil.bin hiberfil.sys >/dev/null 2>&1
ok $? "ntfscp a HIBR hiberfil.sys"
refused "hibernated NTFS is refused" HIBERNATED hiber.img
grep -q "Shift" refused.err && grep -q "powercfg /h off" refused.err
ok $? "the hibernation message says how to shut Windows down fully"
info hiber-forced hiber.img --force
ok $? "hibernated NTFS is read with --force"
cp n1k.img hiberok.img
head -c 8192 /dev/zero >hiberfil0.bin
ntfscp hiberok.img hiberfil0.bin hiberfil.sys >/dev/null 2>&1
info hiberok hiberok.img
ok $? "NTFS with a zeroed (not hibernated) hiberfil.sys is accepted"

# --- ext2/3/4 --------------------------------------------------------------

same_as_partclone e4 e4.img ext4 exact
same_ids e4 e4.img
same_as_partclone e4k e4k.img ext4 exact
same_as_partclone e4ub e4ub.img ext4 exact
same_as_partclone e2 e2.img ext2 exact
same_as_partclone e3 e3.img ext3 exact
same_ids e3 e3.img
is "$(pc bit e4.bm 0)" 1 "e4: block 0 (boot block of a 1 KiB-block filesystem) is used"

# bigalloc: partclone 0.3.23 fails on it; compare with dumpe2fs's free ranges
info ebig ebig.img
ok $? "bigalloc: fsinfo reads it"
is "$(kv ebig.info type)/$(kv ebig.info block_size)/$(kv ebig.info total_blocks)" \
	"ext4/1024/131072" "bigalloc: ext4, 1 KiB blocks, 131072 blocks"
dumpe2fs ebig.img >ebig.dump 2>/dev/null
pc ext ebig.dump ebig.expect
is "$(pc cmpfile ebig.bm ebig.expect 131072)" same "bigalloc: bitmap equals dumpe2fs's"

cp e4.img eerr.img
debugfs -w -R "ssv state 2" eerr.img >/dev/null 2>&1
refused "ext4 with errors is refused" DIRTY_FS eerr.img
grep -q "e2fsck -f" refused.err
ok $? "the ext4 message says to run e2fsck -f"
info eerr-forced eerr.img --force
ok $? "ext4 with errors is read with --force"
cp e4.img erec.img
debugfs -w -R "feature needs_recovery" erec.img >/dev/null 2>&1
refused "ext4 needing journal recovery is refused" DIRTY_FS erec.img
cp e2.img eunclean.img
debugfs -w -R "ssv state 0" eunclean.img >/dev/null 2>&1
refused "ext2 not cleanly unmounted is refused" DIRTY_FS eunclean.img

# --- FAT -------------------------------------------------------------------

# FAT12: partclone 0.3.23 reads 12-bit entries wrongly, so only its geometry
# is compared; the bitmap is checked against the cluster chains of mshowfat.
info f12 f12.img
ok $? "f12: fsinfo reads it"
read -r tag bs total used < <(pc hdr f12.img.pcl)
is "$(kv f12.info tag)/$(kv f12.info block_size)/$(kv f12.info total_blocks)" \
	"$tag/$bs/$total" "f12: tag, block size and total blocks as partclone"
same_ids f12 f12.img
same_as_partclone f16 f16.img fat16 exact
same_ids f16 f16.img
same_as_partclone f32 f32.img fat32 exact
same_ids f32 f32.img
for f in f12 f16 f32; do
	fsck.fat -n -v $f.img >$f.fsck 2>&1
	fat_chains $f.img >$f.chains
	n=$(pc fat $f.fsck $f.chains $f.expect)
	is "$(pc cmpfile $f.bm $f.expect "$n")" same "$f: bitmap equals the FAT's cluster chains"
done
same_as_partclone fpart fpart.img fat16 exact
is "$(kv fpart.info total_blocks)/$(kv fpart.info device_size)" "60000/41943040" \
	"fpart: total blocks from the BPB, device size from the device"
same_as_partclone f4k f4k.img fat32 exact

cp f16.img fdirty.img
pc poke fdirty.img 37 B 1 # boot sector state: dirty (Linux sets it while mounted)
refused "FAT16 marked dirty is refused" DIRTY_FS fdirty.img
info fdirty-forced fdirty.img --force
ok $? "dirty FAT16 is read with --force"

# corrupt boot sectors: an error, never a crash
cp f16.img fzero.img
pc poke fzero.img 13 B 0 # sectors per cluster = 0
info fzero fzero.img
is "$?/$(kv fzero.info type)" "0/raw" "FAT with 0 sectors per cluster is not probed as FAT (raw)"
refused "--type=fat on 0 sectors per cluster is CORRUPT" CORRUPT fzero.img --type=fat
# mutation: IMG OFFSET FMT VALUE
while read -r base off fmt val what; do
	cp "$base.img" mut.img
	pc poke mut.img "$off" "$fmt" "$val"
	"$FSINFO" mut.img mut.bm >/dev/null 2>mut.err
	rc=$?
	[ $rc -le 1 ]
	ok $? "corrupt FAT ($what): probing exits cleanly"
	refused "corrupt FAT ($what): refused with CORRUPT" CORRUPT mut.img --type=fat
done <<'EOF'
f16 11 H 0 sector_size=0
f16 11 H 513 sector_size=513
f16 11 H 32768 sector_size=32768
f16 13 B 3 sectors_per_cluster=3
f16 14 H 0 reserved=0
f16 16 B 0 no_FATs
f16 16 B 200 200_FATs
f16 21 B 0 media=0
f16 0 B 0 no_jump
f16 22 H 65535 huge_FAT
f16 17 H 0 no_root_dir
f16 32 I 0xFFFFFFFF huge_total
f16 32 I 0 zero_total
f16 22 H 1 FAT_too_small
f32 36 I 1 FAT32_FAT_too_small
f32 36 I 0xFFFFFFFF FAT32_huge_FAT
f32 44 I 0 FAT32_root_cluster_0
f32 44 I 0xFFFFFFFF FAT32_root_cluster_huge
f32 17 H 512 FAT32_with_root_entries
f32 40 H 0x85 FAT32_active_FAT_5
EOF
head -c 1000000 f16.img >ftrunc.img
refused "truncated FAT16 is refused" CORRUPT ftrunc.img
grep -q "truncated" refused.err
ok $? "the truncation message says the image is truncated"
head -c 100 f16.img >ftiny.img
refused "100-byte file as FAT is UNSUPPORTED_FS" UNSUPPORTED_FS ftiny.img --type=fat
refused "NTFS is not taken as FAT" CORRUPT n1k.img --type=fat

# --- raw and probing ---------------------------------------------------------

head -c $((1024 * 1024 + 512)) /dev/urandom >rnd1.img
info rnd1 rnd1.img
is "$?/$(kv rnd1.info type)/$(kv rnd1.info tag)/$(kv rnd1.info block_size)/$(kv rnd1.info total_blocks)/$(kv rnd1.info used_blocks)" \
	"0/raw/raw/512/2049/2049" "random data is raw: 512-byte blocks when not a multiple of 4096"
is "$(pc ones rnd1.bm 2049)" yes "raw: every block is used"
head -c $((4 * 1024 * 1024)) /dev/urandom >rnd4.img
info rnd4 rnd4.img
is "$(kv rnd4.info type)/$(kv rnd4.info block_size)/$(kv rnd4.info total_blocks)" \
	"raw/4096/1024" "raw: 4096-byte blocks when the size is a multiple of 4096"
head -c 1000 /dev/urandom >rnd0.img
info rnd0 rnd0.img
is "$(kv rnd0.info block_size)/$(kv rnd0.info total_blocks)" "512/1" \
	"raw: a size not a multiple of 512 is rounded down"
info nraw n1k.img --raw
is "$(kv nraw.info type)/$(kv nraw.info block_size)/$(kv nraw.info total_blocks)" \
	"raw/4096/6144" "--raw bypasses probing"
info e4ntfs e4.img --type=ext
is "$(kv e4ntfs.info type)" ext4 "--type=ext opens ext4"
refused "ext4 opened as NTFS is refused" CORRUPT e4.img --type=ntfs
refused "an unknown --type is BAD_ARGS" BAD_ARGS e4.img --type=xfs
: >empty.img
info empty empty.img
is "$?/$(kv empty.info type)/$(kv empty.info total_blocks)" "0/raw/0" "an empty file is raw with 0 blocks"

done_testing
