# shellcheck shell=bash
# diskimg.sh - whole-disk test images (partition table + filled filesystems) in plain files.
#
#   . tests/lib/diskimg.sh
#   diskimg_make FILE LAYOUT SEED     make FILE: LAYOUT mbr, gpt or small (below), deterministic in SEED
#   diskimg_manifest FILE OUT         what a clone must reproduce, as text (cmp two of them)
#   diskimg_fsck FILE                 fsimg_fsck of every filesystem partition; 0 = all clean
#   diskimg_parts FILE                one line per partition: N START SIZE TYPE (sectors)
#   diskimg_attach FILE               losetup -P + partition nodes; prints /dev/loopN
#   diskimg_detach /dev/loopN         remove the partitions and nodes, losetup -d
#
# Layouts (sector 512, everything 1 MiB aligned, random boot code in MBR bytes 0..439):
#   mbr (168 MiB): disk signature from SEED; sectors 1..2047 random ("hidden data after the MBR",
#     like a boot loader's stage 1.5);
#     p1 NTFS  64 MiB type 7, bootable   p2 ext4 48 MiB type 83   p3 extended type 5 (50 MiB) with
#     p5 FAT32 40 MiB type c and p6 swap 8 MiB type 82;   p4 4 MiB type da (non-fs data), random
#   gpt (162 MiB): disk GUID and partition GUIDs from SEED, partition names;
#     p1 FAT32 ESP 40 MiB (C12A7328-...)  p2 NTFS 64 MiB (EBD0A0A2-...)  p3 ext4 48 MiB (0FC63DAF-...)
#     p4 swap 8 MiB (0657FD6D-...)
#   small (64 MiB): GPT as gpt, two partitions: p1 ext4 28 MiB (0FC63DAF-...), p2 NTFS 24 MiB
#     (EBD0A0A2-...); for tests that copy disks many times (multicast)
# Filesystems come from fsimg.sh (filled trees, deleted files, prefilled free space) with fixed
# volume ids (NTFS serial via ntfslabel, ext4 mkfs -U, FAT volume id patched in both boot
# sectors) and labels; swap has a fixed UUID and label (mkswap). Same SEED -> byte-identical
# partition table, boot code, hidden data, filesystem ids and file contents (the fsimg trees
# copy ELF files from this machine's /usr, so only on the same machine).
# Fill: NTFS 300 files/28 MiB, ext4 250/20 MiB, FAT 200/16 MiB, plus deleted files (~2 s a disk);
# small: ext4 60 files/8 MiB, NTFS 50/6 MiB.
#
# Manifest: 'disk ...' lines (the sfdisk header without 'device:', the file size, sha256 of the
# boot code (bytes 0..439) and for dos of the sectors between the MBR and the first partition),
# then per partition in table order '== pN : <sfdisk --dump line>' and
#   'blkid TYPE=.. UUID=.. LABEL=..' and the fsimg manifest of its files (ntfs, ext2/3/4, vfat);
#   'blkid TYPE=swap UUID=.. LABEL=..' for swap; nothing more for an extended partition;
#   'raw sha256 <hash>' of the whole partition when blkid finds nothing (or an unknown type).
# Every public function runs in its own bash (set -euo pipefail) and cleans up its temp files.
# Paths must not contain spaces or newlines. Temp files: $FSIMG_TMP, else /dev/shm, else /tmp.

DISKIMG_LIB=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=tests/lib/fsimg.sh
. "$(dirname "$DISKIMG_LIB")/fsimg.sh"
export DISKIMG_LIB

_diskimg_run() {
	"${BASH:-bash}" -c 'set -euo pipefail; . "$DISKIMG_LIB"; "$@"' diskimg "$@"
}
diskimg_make()     { _diskimg_run _diskimg_make "$@"; }
diskimg_manifest() { _diskimg_run _diskimg_manifest "$@"; }
diskimg_fsck()     { _diskimg_run _diskimg_fsck "$@"; }
diskimg_parts()    { _diskimg_run _diskimg_parts "$@"; }
diskimg_attach()   { _diskimg_run _diskimg_attach "$@"; }
diskimg_detach()   { _diskimg_run _diskimg_detach "$@"; }

# ---------------------------------------------------------------- helpers
_diskimg_die() { echo "diskimg: $*" >&2; exit 1; }
_DISKIMG_TMPD=''
_diskimg_cleanup() { if [ -n "$_DISKIMG_TMPD" ]; then rm -rf "$_DISKIMG_TMPD"; _DISKIMG_TMPD=; fi; }
_diskimg_mktmp() {
	_DISKIMG_TMPD=$(mktemp -d "$(_fsimg_tmpbase)/diskimg.XXXXXX")
	trap _diskimg_cleanup EXIT
	trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP
}
# _diskimg_hex SEED WHAT N: N hex digits derived from SEED and WHAT
_diskimg_hex() { printf 'diskimg:%s:%s' "$1" "$2" | sha256sum | cut -c1-"$3"; }
# _diskimg_uuid SEED WHAT: a version-4-shaped UUID, upper case
_diskimg_uuid() {
	local h; h=$(_diskimg_hex "$1" "$2" 32)
	h=${h:0:12}4${h:13:3}8${h:17:15}
	printf '%s-%s-%s-%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:12:4}" "${h:16:4}" "${h:20:12}" | tr a-f A-F
}
# _diskimg_rand SEED WHAT NBYTES: deterministic random bytes on stdout (AES-128-CTR keystream)
_diskimg_rand() {
	head -c "$3" /dev/zero |
		openssl enc -aes-128-ctr -nosalt -K "$(_diskimg_hex "$1" "key:$2" 32)" -iv "$(_diskimg_hex "$1" "iv:$2" 32)"
}
# _diskimg_put DISK PARTFILE START_SECTOR: copy a partition-sized file into the disk (sparse)
_diskimg_put() {
	dd if="$2" of="$1" bs=1M seek="$(($3 * 512))" oflag=seek_bytes conv=notrunc,sparse status=none ||
		_diskimg_die "cannot copy $2 into $1"
}
# _diskimg_get DISK START SIZE OUT: copy a partition out of the disk (sectors)
_diskimg_get() {
	dd if="$1" of="$4" bs=1M skip="$(($2 * 512))" count="$(($3 * 512))" iflag=skip_bytes,count_bytes \
		conv=sparse status=none || _diskimg_die "cannot read sectors $2+$3 of $1"
}
# FAT32: volume id at 67 in the boot sector and in its backup (BPB_BkBootSec at 50, usually 6)
_diskimg_fat_volid() { # FILE 8HEX
	local f=$1 id=$2 bk le
	bk=$(od -An -tu2 -j 50 -N 2 "$f" | tr -d ' ')
	le="\\x${id:6:2}\\x${id:4:2}\\x${id:2:2}\\x${id:0:2}"
	# shellcheck disable=SC2059
	printf "$le" | dd of="$f" bs=1 seek=67 conv=notrunc status=none
	if [ -n "$bk" ] && [ "$bk" -gt 0 ] && [ "$bk" -lt 32 ]; then
		# shellcheck disable=SC2059
		printf "$le" | dd of="$f" bs=1 seek=$((bk * 512 + 67)) conv=notrunc status=none
	fi
}

# ---------------------------------------------------------------- diskimg_make
_diskimg_make() {
	[ $# -eq 3 ] || _diskimg_die "usage: diskimg_make FILE mbr|gpt SEED"
	local file=$1 layout=$2 seed=$3 t sz
	_fsimg_need sfdisk openssl mkswap ntfslabel sha256sum
	_diskimg_mktmp
	t=$_DISKIMG_TMPD
	local M=2048   # sectors per MiB
	case $layout in
	mbr)
		sz=168
		cat >"$t/pt.sf" <<EOF
label: dos
label-id: 0x$(_diskimg_hex "$seed" label-id 8)
unit: sectors
sector-size: 512

start=$((1 * M)), size=$((64 * M)), type=7, bootable
start=$((65 * M)), size=$((48 * M)), type=83
start=$((113 * M)), size=$((50 * M)), type=5
start=$((163 * M)), size=$((4 * M)), type=da
start=$((114 * M)), size=$((40 * M)), type=c
start=$((155 * M)), size=$((8 * M)), type=82
EOF
		;;
	gpt)
		sz=162
		local -a u=()
		local i; for i in 1 2 3 4; do u[i]=$(_diskimg_uuid "$seed" "partuuid$i"); done
		cat >"$t/pt.sf" <<EOF
label: gpt
label-id: $(_diskimg_uuid "$seed" label-id)
unit: sectors
first-lba: 2048
sector-size: 512

start=$((1 * M)), size=$((40 * M)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=${u[1]}, name="EFI system partition"
start=$((41 * M)), size=$((64 * M)), type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, uuid=${u[2]}, name="Basic data partition"
start=$((105 * M)), size=$((48 * M)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=${u[3]}, name="Linux filesystem"
start=$((153 * M)), size=$((8 * M)), type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, uuid=${u[4]}, name="Linux swap"
EOF
		;;
	small)
		sz=64
		cat >"$t/pt.sf" <<EOF
label: gpt
label-id: $(_diskimg_uuid "$seed" label-id)
unit: sectors
first-lba: 2048
sector-size: 512

start=$((1 * M)), size=$((28 * M)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=$(_diskimg_uuid "$seed" partuuid1), name="Linux filesystem"
start=$((29 * M)), size=$((24 * M)), type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, uuid=$(_diskimg_uuid "$seed" partuuid2), name="Basic data partition"
EOF
		;;
	*) _diskimg_die "unknown LAYOUT '$layout' (mbr, gpt or small)" ;;
	esac
	rm -f "$file"
	truncate -s "${sz}M" "$file" || _diskimg_die "cannot create $file"
	sfdisk -q --no-reread --no-tell-kernel "$file" <"$t/pt.sf" >"$t/sfdisk.log" 2>&1 ||
		{ cat "$t/sfdisk.log" >&2; _diskimg_die "sfdisk $file failed"; }

	# the filesystems, each made in a partition-sized file and copied into place
	local ntfs ext4 fat swap raw=''
	local -A start=() size=()
	local n s z ty
	while read -r n s z ty; do start[$n]=$s; size[$n]=$z; done < <(_diskimg_parts "$file")
	if [ "$layout" = small ]; then
		fsimg_ext4 "$t/p1" $((size[1] / M)) "$seed.p1" 60 8 \
			"-U $(_diskimg_uuid "$seed" ext4-uuid | tr A-F a-f)" 2>"$t/log" ||
			{ cat "$t/log" >&2; _diskimg_die "fsimg_ext4 failed"; }
		_diskimg_put "$file" "$t/p1" "${start[1]}"; rm -f "$t/p1"
		fsimg_ntfs "$t/p2" $((size[2] / M)) "$seed.p2" 50 6 2>"$t/log" ||
			{ cat "$t/log" >&2; _diskimg_die "fsimg_ntfs failed"; }
		ntfslabel --new-serial="$(_diskimg_hex "$seed" ntfs-serial 16)" "$t/p2" >/dev/null 2>"$t/log" ||
			{ cat "$t/log" >&2; _diskimg_die "ntfslabel --new-serial failed"; }
		_diskimg_put "$file" "$t/p2" "${start[2]}"; rm -f "$t/p2"
		_diskimg_rand "$seed" bootcode 440 | dd of="$file" bs=440 count=1 conv=notrunc status=none
		sfdisk --verify "$file" >"$t/log" 2>&1 || { cat "$t/log" >&2; _diskimg_die "sfdisk --verify $file failed"; }
		return 0
	fi
	if [ "$layout" = mbr ]; then ntfs=1 ext4=2 fat=5 swap=6 raw=4; else fat=1 ntfs=2 ext4=3 swap=4; fi
	fsimg_ntfs "$t/p$ntfs" $((size[$ntfs] / M)) "$seed.p$ntfs" 300 28 2>"$t/log" ||
		{ cat "$t/log" >&2; _diskimg_die "fsimg_ntfs failed"; }
	ntfslabel --new-serial="$(_diskimg_hex "$seed" ntfs-serial 16)" "$t/p$ntfs" >/dev/null 2>"$t/log" ||
		{ cat "$t/log" >&2; _diskimg_die "ntfslabel --new-serial failed"; }
	_diskimg_put "$file" "$t/p$ntfs" "${start[$ntfs]}"; rm -f "$t/p$ntfs"
	fsimg_ext4 "$t/p$ext4" $((size[$ext4] / M)) "$seed.p$ext4" 250 20 \
		"-U $(_diskimg_uuid "$seed" ext4-uuid | tr A-F a-f)" 2>"$t/log" ||
		{ cat "$t/log" >&2; _diskimg_die "fsimg_ext4 failed"; }
	_diskimg_put "$file" "$t/p$ext4" "${start[$ext4]}"; rm -f "$t/p$ext4"
	fsimg_fat "$t/p$fat" $((size[$fat] / M)) "$seed.p$fat" 200 16 32 2>"$t/log" ||
		{ cat "$t/log" >&2; _diskimg_die "fsimg_fat failed"; }
	_diskimg_fat_volid "$t/p$fat" "$(_diskimg_hex "$seed" fat-volid 8)"
	_diskimg_put "$file" "$t/p$fat" "${start[$fat]}"; rm -f "$t/p$fat"
	truncate -s $((size[$swap] * 512)) "$t/p$swap"
	mkswap -q -U "$(_diskimg_uuid "$seed" swap-uuid | tr A-F a-f)" -L "swap-$(_diskimg_hex "$seed" swap-label 6)" \
		"$t/p$swap" >"$t/log" 2>&1 || { cat "$t/log" >&2; _diskimg_die "mkswap failed"; }
	_diskimg_put "$file" "$t/p$swap" "${start[$swap]}"; rm -f "$t/p$swap"
	if [ -n "$raw" ]; then
		_diskimg_rand "$seed" raw $((size[$raw] * 512)) >"$t/p$raw"
		_diskimg_put "$file" "$t/p$raw" "${start[$raw]}"; rm -f "$t/p$raw"
	fi
	# boot code (the disk signature at 440 stays as sfdisk wrote it) and, for dos, the gap
	_diskimg_rand "$seed" bootcode 440 | dd of="$file" bs=440 count=1 conv=notrunc status=none
	if [ "$layout" = mbr ]; then
		_diskimg_rand "$seed" hidden $((2047 * 512)) | dd of="$file" bs=512 seek=1 conv=notrunc status=none
	fi
	sfdisk --verify "$file" >"$t/log" 2>&1 || { cat "$t/log" >&2; _diskimg_die "sfdisk --verify $file failed"; }
}

# ---------------------------------------------------------------- table reading
# N START SIZE TYPE per partition, in table order
_diskimg_parts() {
	[ $# -eq 1 ] || _diskimg_die "usage: diskimg_parts FILE"
	[ -r "$1" ] || _diskimg_die "cannot read $1"
	sfdisk --dump "$1" 2>/dev/null | sed -nE 's/^[^ ]*[^0-9 ]([0-9]+) : (.*)$/\1 \2/p' |
		while read -r n rest; do
			local s z ty
			s=$(sed -nE 's/.*start= *([0-9]+).*/\1/p' <<<"$rest")
			z=$(sed -nE 's/.*size= *([0-9]+).*/\1/p' <<<"$rest")
			ty=$(sed -nE 's/.*type=([^ ,]+).*/\1/p' <<<"$rest")
			echo "$n $s $z $ty"
		done
}
_diskimg_is_extended() { case ${1,,} in 5|f|85) return 0 ;; *) return 1 ;; esac; }

# ---------------------------------------------------------------- manifest and fsck
_diskimg_manifest() {
	[ $# -eq 2 ] || _diskimg_die "usage: diskimg_manifest FILE OUT"
	local file=$1 out=$2 t label dump n s z ty first line
	[ -r "$file" ] || _diskimg_die "cannot read $file"
	_diskimg_mktmp; t=$_DISKIMG_TMPD
	dump=$(sfdisk --dump "$file" 2>"$t/log") || { cat "$t/log" >&2; _diskimg_die "sfdisk --dump $file failed"; }
	grep -q '^sector-size: 512$' <<<"$dump" || _diskimg_die "$file: only 512-byte sectors are supported"
	label=$(sed -n 's/^label: //p' <<<"$dump")
	{
		sed -nE '/^$/q; /^device:/d; s/^/disk /p' <<<"$dump"
		echo "disk bytes $(stat -c %s "$file")"
		echo "disk boot-code sha256 $(head -c 440 "$file" | sha256sum | cut -d' ' -f1)"
	} >"$t/m"
	if [ "$label" = dos ]; then
		first=$(_diskimg_parts "$file" | awk '$2 > 0 && (m == "" || $2 < m) { m = $2 } END { print m }')
		if [ -n "$first" ] && [ "$first" -gt 1 ]; then
			echo "disk hidden-data sectors 1-$((first - 1)) sha256 $(dd if="$file" bs=512 skip=1 count=$((first - 1)) status=none | sha256sum | cut -d' ' -f1)" >>"$t/m"
		fi
	fi
	while read -r n s z ty; do
		line=$(sed -nE "s/^[^ ]*[^0-9 ]$n : /== p$n : /p" <<<"$dump")
		echo "$line" >>"$t/m"
		_diskimg_is_extended "$ty" && [ "$label" = dos ] && continue
		_diskimg_get "$file" "$s" "$z" "$t/part"
		_diskimg_describe "$t/part" "$t/pm" >>"$t/m"
		if [ -s "$t/pm" ]; then cat "$t/pm" >>"$t/m"; fi
		rm -f "$t/part" "$t/pm"
	done < <(_diskimg_parts "$file")
	cp "$t/m" "$out" || _diskimg_die "cannot write $out"
}
# _diskimg_describe PARTFILE FILES_OUT: the blkid/raw line on stdout, the file manifest in FILES_OUT
_diskimg_describe() {
	local p=$1 fs uuid lbl
	fs=$(blkid -p -s TYPE -o value "$p" 2>/dev/null || true)
	uuid=$(blkid -p -s UUID -o value "$p" 2>/dev/null || true)
	lbl=$(blkid -p -s LABEL -o value "$p" 2>/dev/null || true)
	: >"$2"
	case $fs in
	ntfs|ext2|ext3|ext4|vfat)
		echo "blkid TYPE=$fs UUID=$uuid LABEL=$lbl"
		fsimg_manifest "$p" "$2" || _diskimg_die "fsimg_manifest of a $fs partition failed"
		echo "files $(grep -cv '^dir  ' "$2" || true)" ;;
	swap) echo "blkid TYPE=$fs UUID=$uuid LABEL=$lbl" ;;
	'') echo "raw sha256 $(sha256sum <"$p" | cut -d' ' -f1)" ;;
	*) echo "blkid TYPE=$fs UUID=$uuid LABEL=$lbl"; echo "raw sha256 $(sha256sum <"$p" | cut -d' ' -f1)" ;;
	esac
}

_diskimg_fsck() {
	[ $# -eq 1 ] || _diskimg_die "usage: diskimg_fsck FILE"
	local file=$1 t n s z ty fs label bad=0
	[ -r "$file" ] || _diskimg_die "cannot read $file"
	_diskimg_mktmp; t=$_DISKIMG_TMPD
	label=$(sfdisk --dump "$file" 2>/dev/null | sed -n 's/^label: //p')
	while read -r n s z ty; do
		_diskimg_is_extended "$ty" && [ "$label" = dos ] && continue
		_diskimg_get "$file" "$s" "$z" "$t/part"
		fs=$(blkid -p -s TYPE -o value "$t/part" 2>/dev/null || true)
		case $fs in
		ntfs|ext2|ext3|ext4|vfat)
			if ! fsimg_fsck "$t/part"; then echo "diskimg: partition $n ($fs) of $file is not clean" >&2; bad=1; fi ;;
		esac
		rm -f "$t/part"
	done < <(_diskimg_parts "$file")
	return $bad
}

# ---------------------------------------------------------------- loop devices
# Partition nodes we mknod'ed ourselves are listed in $DISKIMG_STATE/<loopN> for diskimg_detach.
DISKIMG_STATE=${DISKIMG_STATE:-/run/diskimg}
_diskimg_attach() {
	[ $# -eq 1 ] || _diskimg_die "usage: diskimg_attach FILE"
	[ -r "$1" ] || _diskimg_die "cannot read $1"
	local dev name p node i
	dev=$(losetup -f --show -P "$1") || _diskimg_die "losetup -f --show -P $1 failed"
	name=${dev#/dev/}
	# no udev here: the kernel may not have scanned the table yet; partx -a adds what is missing
	partx -a "$dev" >/dev/null 2>&1 || true
	mkdir -p "$DISKIMG_STATE"; : >"$DISKIMG_STATE/$name"
	for p in /sys/block/"$name"/"$name"p*; do
		[ -e "$p/dev" ] || continue
		node=/dev/${p##*/}
		for i in 1 2 3 4 5 6 7 8 9 10; do [ -b "$node" ] && break; sleep 0.05; done   # devtmpfs
		if [ ! -b "$node" ]; then
			IFS=: read -r ma mi <"$p/dev"
			mknod -m 600 "$node" b "$ma" "$mi" || { losetup -d "$dev"; _diskimg_die "mknod $node failed"; }
			echo "$node" >>"$DISKIMG_STATE/$name"
		fi
	done
	echo "$dev"
}
_diskimg_detach() {
	[ $# -eq 1 ] || _diskimg_die "usage: diskimg_detach /dev/loopN"
	local dev=$1 name=${1#/dev/} node
	[[ "$name" =~ ^loop[0-9]+$ ]] || _diskimg_die "not a loop device: $dev"
	partx -d "$dev" >/dev/null 2>&1 || true
	if [ -f "$DISKIMG_STATE/$name" ]; then
		while read -r node; do
			[[ "$node" == /dev/"$name"p* ]] && [ -b "$node" ] && rm -f "$node"
		done <"$DISKIMG_STATE/$name"
		rm -f "$DISKIMG_STATE/$name"
	fi
	losetup -d "$dev" || _diskimg_die "losetup -d $dev failed"
}
