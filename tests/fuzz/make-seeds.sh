#!/bin/bash
# make-seeds.sh - (re)generate the seed corpus of the fuzz targets in
# tests/fuzz/corpus/<target>/ (seed-* files; inputs the fuzzer found and
# the fixed crash reproducers, regress-*, are left alone).
#
#   fuzz_image       uncompressed images: partclone 0002 from partclone
#                    itself (vfat, ext2, ext4; -a0, -k 1, -K) and from our
#                    writer (XXH64, XXH128, CRC32, none; blocks per checksum,
#                    no reseed), hand-made partclone 0001 (4- and 8-byte
#                    CRCs) and 0002 without bitmap, ntfsclone (hand-made
#                    10.0, 10.1 and pre-10 images, the start of a real one),
#                    raw data and truncated variants.
#   fuzz_decompress  small payloads compressed with gzip, pigz, zstd, bzip2,
#                    xz and lz4 (multi-member/frame, skippable frames,
#                    padding, garbage after the end, truncated).
#   fuzz_chain       compressed images: the restore read path.
#
# Needs partclone, mkfs.vfat, mkfs.ext2, mkfs.ext4, mkntfs, ntfsclone, gzip,
# pigz, zstd, bzip2, xz, lz4 and python3; builds imgwrite and clonecast if
# missing.  Every file stays well under 64 KiB.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CORPUS=$TOP/tests/fuzz/corpus
IMG=$CORPUS/fuzz_image
DEC=$CORPUS/fuzz_decompress
CHAIN=$CORPUS/fuzz_chain
IMGWRITE=${IMGWRITE:-$TOP/build/tests/helpers/imgwrite}
CLONECAST=${CLONECAST:-$TOP/clonecast}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

[ -x "$IMGWRITE" ] || make -C "$TOP" -s build/tests/helpers/imgwrite
[ -x "$CLONECAST" ] || make -C "$TOP" -s clonecast
mkdir -p "$IMG" "$DEC" "$CHAIN"
rm -f "$IMG"/seed-* "$DEC"/seed-* "$CHAIN"/seed-*
cd "$W"

# partclone is chatty and exits 0 on some failures: check the output.
pcl() { # pcl TOOL SOURCE OUT [OPTIONS...]
	local tool=$1 src=$2 out=$3
	shift 3
	"partclone.$tool" -c -s "$src" -o "$out" -L /dev/null "$@" >/dev/null 2>&1 </dev/null
	[ -s "$out" ] || { echo "make-seeds: partclone.$tool $* failed" >&2; exit 1; }
}

# ---- filesystems (fixed ids and times where the tools allow: fewer
# changed files when the seeds are regenerated; NTFS stays random) ----
export E2FSPROGS_FAKE_TIME=1000000000 SOURCE_DATE_EPOCH=1000000000
uuid=5eed5eed-0000-4000-8000-000000000001
truncate -s 2M vfat.img && mkfs.vfat --invariant vfat.img >/dev/null
echo "hello fuzzer" >hello.txt
touch -d @1000000000 hello.txt
if command -v mcopy >/dev/null; then mcopy -m -i vfat.img hello.txt ::hello.txt; fi
truncate -s 512K ext2.img
mkfs.ext2 -q -F -b 1024 -N 16 -m 0 -U $uuid -E hash_seed=$uuid ext2.img >/dev/null
truncate -s 1M ext4.img
mkfs.ext4 -q -F -b 1024 -N 16 -m 0 -O ^has_journal -U $uuid -E hash_seed=$uuid ext4.img >/dev/null
truncate -s 2M ntfs.img && mkntfs -F -q -Q -c 4096 ntfs.img >/dev/null 2>&1

# ---- partclone 0002 from partclone ----
pcl vfat vfat.img vfat.pcl
pcl vfat vfat.img vfat-a0.pcl -a0
pcl vfat vfat.img vfat-k1.pcl -k 1
pcl vfat vfat.img vfat-k3-K.pcl -k 3 -K
pcl ext2 ext2.img ext2.pcl
pcl ext4 ext4.img ext4-a0.pcl -a0
for f in vfat vfat-a0 vfat-k1 vfat-k3-K ext2 ext4-a0; do
	cp "$f.pcl" "$IMG/seed-ptcl2-$f.pcl"
done

# ---- partclone 0002 from our writer ----
python3 - <<'EOF'
import random
r = random.Random(7)
out = bytearray()
for i in range(48):              # 48 blocks of 512: data, zeros, patterns
    k = i % 5
    if k == 0 or i in (1, 2, 3):
        out += bytes(r.getrandbits(8) for _ in range(512))
    elif k == 1:
        out += bytes(512)
    elif k == 2:
        out += bytes([i]) * 512
    else:
        out += bytes(511) + b'\x01'
open('raw24k.bin', 'wb').write(out)
EOF
"$IMGWRITE" raw24k.bin 512 EXTFS "$IMG/seed-ptcl2-ours-xxh64-k4.pcl" xxh64 4 1
"$IMGWRITE" raw24k.bin 512 EXTFS "$IMG/seed-ptcl2-ours-xxh64-k1-K.pcl" xxh64 1 0
"$IMGWRITE" raw24k.bin 512 NTFS "$IMG/seed-ptcl2-ours-xxh128-k3.pcl" xxh128 3 1
"$IMGWRITE" raw24k.bin 1024 NTFS "$IMG/seed-ptcl2-ours-xxh128-k5-K.pcl" xxh128 5 0
"$IMGWRITE" raw24k.bin 4096 FAT32 "$IMG/seed-ptcl2-ours-crc32-bs4096.pcl" crc32 0 1
"$IMGWRITE" raw24k.bin 2048 BTRFS "$IMG/seed-ptcl2-ours-none.pcl" none

# ---- hand-made: partclone 0001, 0002 without bitmap, ntfsclone, raw ----
python3 - "$IMG" <<'EOF'
import random, struct, sys, zlib
D = sys.argv[1]
r = random.Random(11)
def rnd(n): return bytes(r.getrandbits(8) for _ in range(n))
def pc_crc(seed, data):          # partclone's CRC32 register, no final xor
    return ~zlib.crc32(data, ~seed & 0xffffffff) & 0xffffffff
def crc0001(crc, blk, bs):       # partclone's crc32_0001(): blk[0], bs times
    return pc_crc(crc, blk[:1] * bs)
def save(name, data):
    open(f'{D}/seed-{name}', 'wb').write(data)

def v1(bs, bitmap, crc_bytes, used_sb=None):
    total = len(bitmap)
    used = [i for i, b in enumerate(bitmap) if b == 1]
    h = bytearray(4160)
    h[0:15] = b'partclone-image'
    h[15:19] = b'EXTFS'[:4]
    h[30:34] = b'0001'
    struct.pack_into('<IQQQ', h, 36, bs, total * bs, total,
                     len(used) if used_sb is None else used_sb)
    out = bytearray(h) + bytes(bitmap) + b'BiTmAgIc'
    crc = 0xffffffff
    for i in used:
        blk = bytes([i * 37 & 0xff]) + rnd(bs - 1) if i % 2 else bytes([i]) * bs
        crc = crc0001(crc, blk, bs)
        out += blk + crc.to_bytes(crc_bytes, 'little')
    return bytes(out)

bm = [1, 1, 0, 1, 7, 0, 1, 1, 1, 0, 0, 1]
save('ptcl1-crc4.img', v1(512, bm, 4))
save('ptcl1-crc8.img', v1(512, bm, 8))
save('ptcl1-bs1024-one.img', v1(1024, [0, 1, 0], 4))
save('ptcl1-empty.img', v1(512, [0] * 9, 4))

def v2(bs, blocks, mode, bpc, reseed, bmode, bitmap=None, total=None):
    csize = {0: 0, 0x20: 4}[mode]
    total = len(blocks) if total is None else total
    used = len(blocks) if bitmap is None else sum(bin(b).count('1') for b in bitmap)
    h = bytearray(110)
    h[0:15] = b'partclone-image'
    h[16:30] = b'handmade'.ljust(14, b'\0')
    h[30:34] = b'0002'
    struct.pack_into('<H', h, 34, 0xC0DE)
    h[36:52] = b'EXTFS'.ljust(16, b'\0')
    struct.pack_into('<QQQQIIHHHHIBB', h, 52, total * bs, total, used, used, bs,
                     110, 2, 64, mode, csize, bpc, reseed, bmode)
    struct.pack_into('<I', h, 106, pc_crc(0xffffffff, bytes(h[:106])))
    out = bytearray(h)
    if bitmap is not None:
        out += bytes(bitmap) + pc_crc(0xffffffff, bytes(bitmap)).to_bytes(4, 'little')
    crc = 0xffffffff
    for i, b in enumerate(blocks):
        out += b
        if mode:
            crc = pc_crc(crc, b)
            if (i + 1) % bpc == 0 or i + 1 == len(blocks):
                out += crc.to_bytes(4, 'little')
                if reseed:
                    crc = 0xffffffff
    return bytes(out)

blocks = [rnd(512) if i % 3 else bytes([i]) * 512 for i in range(7)]
save('ptcl2-nobitmap-crc32-k2.pcl', v2(512, blocks, 0x20, 2, 1, 0))
save('ptcl2-nobitmap-none.pcl', v2(512, blocks[:3], 0, 0, 0, 0))
save('ptcl2-bitmap-crc32-k3-K.pcl',
     v2(512, blocks[:6], 0x20, 3, 0, 1, bitmap=[0b10110101, 0b0001], total=12))
save('ptcl2-empty.pcl', v2(512, [], 0x20, 1, 1, 1, bitmap=[0, 0], total=16))
hdr = v2(512, blocks, 0x20, 2, 1, 0)
save('ptcl2-header-only.pcl', hdr[:110])

def nc(major, minor, cs, nr, dev, cmds, offset=56):
    h = bytearray(b'\0ntfsclone-image')
    h += struct.pack('<BBIQqQ', major, minor, cs, dev, nr, 0)
    if major >= 10:
        h += struct.pack('<I', offset)
        h += bytes(offset - len(h))
    out = bytearray(h)
    lcn, inuse = 0, 0
    for c in cmds:
        if c[0] == 'gap':
            out += b'\0' + struct.pack('<q', c[1])
            lcn += c[1]
        else:
            n = max(0, min(cs, dev - lcn * cs))
            out += b'\1' + (bytes([lcn]) * n if lcn % 2 else rnd(n))
            lcn += 1
            inuse += 1
    struct.pack_into('<Q', out, 38, min(inuse, nr))
    return bytes(out)

N, G = ('next',), lambda n: ('gap', n)
# 10.1: clusters 0..15 and the backup boot sector in cluster 16
save('nc-10.1-cs512.img', nc(10, 1, 512, 16, 16 * 512 + 512,
                             [N, N, G(3), N, N, G(9), N]))
# partial last cluster (device size not a multiple of the cluster size)
save('nc-10.1-partial.img', nc(10, 1, 1024, 6, 6 * 1024 + 512,
                               [N, G(2), N, N, G(1), N]))
# 10.0 may stop at the backup boot sector
save('nc-10.0-noboot.img', nc(10, 0, 512, 8, 8 * 512, [N, G(4), N, N, N]))
# pre-10 header: data right after byte 46
save('nc-old.img', nc(1, 0, 512, 4, 4 * 512 + 512, [N, G(2), N, N]))
# larger offset_to_image_data
save('nc-10.1-offset.img', nc(10, 1, 512, 3, 3 * 512 + 512, [N, G(2), N], offset=128))

save('raw-short.bin', b'\x55\xaa\x00')
save('raw-mbr.bin', bytes(446) + rnd(64) + b'\x55\xaa' + rnd(512))
save('raw-almost-ptcl.bin', b'partclone-imagf' + rnd(100))
EOF

# the start of a real ntfsclone image (ends inside a cluster)
ntfsclone --save-image -o ntfs.nc ntfs.img >/dev/null 2>&1
head -c 24576 ntfs.nc >"$IMG/seed-nc-real-head24k.img"
head -c 4096 vfat.img >"$IMG/seed-raw-vfat-head.bin"
# truncated partclone images
head -c 700 vfat.pcl >"$IMG/seed-ptcl2-vfat-cut-bitmap.pcl"
head -c 9000 vfat.pcl >"$IMG/seed-ptcl2-vfat-cut-data.pcl"
head -c 4200 "$IMG/seed-ptcl1-crc4.img" >"$IMG/seed-ptcl1-cut.img"

# ---- fuzz_decompress: payloads through every codec ----
cp "$IMG/seed-ptcl2-ours-xxh64-k4.pcl" payload
printf 'The quick brown fox jumps over the lazy dog\n%.0s' {1..40} >text
touch -d @1000000000 text
: >empty
z() { # z NAME COMMAND... < input: compressed output into $DEC/seed-NAME
	local name=$1
	shift
	"$@" >"$DEC/seed-$name"
}
z gzip.gz gzip -9cn <payload
z gzip-name.gz gzip -c text
z gzip-empty.gz gzip -cn <empty
z pigz.gz pigz -cn -b 32 <payload
z pigz-indep.gz pigz -cn -i -b 32 <payload
{ gzip -cn <text; gzip -1cn <payload; } >"$DEC/seed-gzip-2members.gz"
{ gzip -cn <text; head -c 100 /dev/zero; } >"$DEC/seed-gzip-zeropad.gz"
{ gzip -cn <text; echo garbage; } >"$DEC/seed-gzip-garbage.gz"
z zstd.zst zstd -19 -qc <payload
z zstd-nocheck.zst zstd -qc --no-check --no-content-size <text
z zstd-empty.zst zstd -qc <empty
{ zstd -qc <text; zstd -qc -1 <payload; } >"$DEC/seed-zstd-2frames.zst"
python3 - "$DEC" <<'EOF'
import struct, subprocess, sys
D = sys.argv[1]
text = open('text', 'rb').read()
zs = subprocess.run(['zstd', '-qc'], input=text, capture_output=True, check=True).stdout
lz = subprocess.run(['lz4', '-qc'], input=text, capture_output=True, check=True).stdout
skip = struct.pack('<II', 0x184D2A50, 12) + b'pzstd-header'
open(f'{D}/seed-zstd-skippable.zst', 'wb').write(skip + zs + struct.pack('<II', 0x184D2A5F, 0) + zs)
open(f'{D}/seed-lz4-skippable.lz4', 'wb').write(struct.pack('<II', 0x184D2A51, 4) + b'abcd' + lz)
EOF
z bzip2.bz2 bzip2 -9c <payload
z bzip2-1.bz2 bzip2 -1c <text
{ bzip2 -c <text; bzip2 -c <text; } >"$DEC/seed-bzip2-2streams.bz2"
z xz.xz xz -9c <payload
z xz-crc32.xz xz -c --check=crc32 <text
z xz-nocheck.xz xz -c --check=none <text
z xz-sha256.xz xz -c --check=sha256 <empty
{ xz -c <text; head -c 8 /dev/zero; xz -c --check=crc32 <text; } >"$DEC/seed-xz-2streams-pad.xz"
z lz4.lz4 lz4 -qc <payload
z lz4-BD-BX.lz4 lz4 -qc -BD -BX --content-size <text
z lz4-nocrc.lz4 lz4 -qc --no-frame-crc -B4 <text
z lz4-legacy.lz4 lz4 -qc -l <payload
{ lz4 -qc <text; lz4 -qc <text; } >"$DEC/seed-lz4-2frames.lz4"
z lzma-raw.lzma xz -c --format=lzma <text
cp text "$DEC/seed-plain.txt"
# truncated streams: half, and one byte short
for f in gzip.gz zstd.zst bzip2.bz2 xz.xz lz4.lz4 lz4-legacy.lz4; do
	s=$(stat -c %s "$DEC/seed-$f")
	head -c $((s / 2)) "$DEC/seed-$f" >"$DEC/seed-cut-half-$f"
	head -c $((s - 1)) "$DEC/seed-$f" >"$DEC/seed-cut-last-$f"
done

# ---- fuzz_chain: compressed images ----
"$CLONECAST" save-part -z zstd -j 2 vfat.img "$CHAIN/seed-ours-vfat.pcl.zst" >/dev/null 2>&1
"$CLONECAST" save-part -z gzip -j 2 ext2.img "$CHAIN/seed-ours-ext2.pcl.gz" >/dev/null 2>&1
gzip -cn <vfat-k3-K.pcl >"$CHAIN/seed-ptcl2-vfat-k3-K.pcl.gz"
pigz -cn -b 32 <ext2.pcl >"$CHAIN/seed-ptcl2-ext2.pcl.gz"
zstd -qc <"$IMG/seed-ptcl2-ours-xxh128-k3.pcl" >"$CHAIN/seed-ptcl2-ours-xxh128.pcl.zst"
bzip2 -c <"$IMG/seed-ptcl2-ours-xxh64-k1-K.pcl" >"$CHAIN/seed-ptcl2-ours-xxh64.pcl.bz2"
xz -c <"$IMG/seed-ptcl1-crc8.img" >"$CHAIN/seed-ptcl1-crc8.img.xz"
lz4 -qc <"$IMG/seed-ptcl1-crc4.img" >"$CHAIN/seed-ptcl1-crc4.img.lz4"
lz4 -qc -l <"$IMG/seed-nc-10.1-cs512.img" >"$CHAIN/seed-nc-10.1.img.lz4"
# the whole real ntfsclone image (bzip2 squeezes its $UpCase best)
bzip2 -9c <ntfs.nc >"$CHAIN/seed-nc-real.img.bz2"
gzip -cn <"$IMG/seed-nc-10.0-noboot.img" >"$CHAIN/seed-nc-10.0.img.gz"
gzip -cn <"$IMG/seed-raw-mbr.bin" >"$CHAIN/seed-raw-mbr.bin.gz"
cp "$IMG/seed-ptcl2-ours-none.pcl" "$CHAIN/seed-ptcl2-ours-none.pcl"
s=$(stat -c %s "$CHAIN/seed-ours-vfat.pcl.zst")
head -c $((s - 20)) "$CHAIN/seed-ours-vfat.pcl.zst" >"$CHAIN/seed-cut-ours-vfat.pcl.zst"
s=$(stat -c %s "$CHAIN/seed-ptcl2-ext2.pcl.gz")
head -c $((s / 2)) "$CHAIN/seed-ptcl2-ext2.pcl.gz" >"$CHAIN/seed-cut-ptcl2-ext2.pcl.gz"

for d in "$IMG" "$DEC" "$CHAIN"; do
	big=$(find "$d" -name 'seed-*' -size +64k)
	[ -z "$big" ] || echo "make-seeds: warning: seeds over 64 KiB: $big" >&2
	echo "$(basename "$d"): $(ls "$d" | wc -l) files, $(du -sk "$d" | cut -f1) KiB"
done
