# tests/bench/source.sh - sourced by the benchmarks: the cached source NTFS image in tmpfs.
# Needs BENCH_SIZE_MB BENCH_FILL BENCH_SEED BENCH_DIR, die/say, fsimg.sh loaded.
# Sets SRC STATS SIZE NAME USED BS COVER, and holds the bench lock on fd 9.
mkdir -p "$BENCH_DIR"
exec 9>"$BENCH_DIR/lock"
if ! flock -n 9; then say "another bench is running; waiting for it"; flock 9; fi

# ---------------------------------------------------------------- the source image (cached)
NFILES=$(awk -v s="$BENCH_SIZE_MB" -v f="$BENCH_FILL" 'BEGIN { printf "%d", s * f * 27.8 + 0.5 }')
DATA_MB=$(awk -v s="$BENCH_SIZE_MB" -v f="$BENCH_FILL" 'BEGIN { printf "%d", s * f * 0.9 }')
NAME=ntfs-${BENCH_SIZE_MB}M-fill${BENCH_FILL}-seed${BENCH_SEED}-g${FSIMG_GENVER}
SRC=$BENCH_DIR/$NAME.img
STATS=$BENCH_DIR/$NAME.stats
SIZE=$((BENCH_SIZE_MB * 1048576))

shm_avail_mb() { df -Pm "$BENCH_DIR" | awk 'NR == 2 { print $4 }'; }
if [ ! -f "$SRC" ] || [ ! -f "$STATS" ]; then
	# one source image in tmpfs at a time
	find "$BENCH_DIR" -maxdepth 1 \( -name 'ntfs-*.img' -o -name 'ntfs-*.stats' -o -name 'ntfs-*.tmp' \) -delete
	need=$((BENCH_SIZE_MB * 2 + 512))
	[ "$(shm_avail_mb)" -ge "$need" ] || die "$BENCH_DIR has $(shm_avail_mb) MiB free; building needs ~$need MiB"
	say "building $SRC: NTFS $BENCH_SIZE_MB MiB, $NFILES files, $DATA_MB MiB of data (seed $BENCH_SEED; 4 GiB takes 1-4 min)"
	FSIMG_STATS=$BENCH_DIR/$NAME.stats.tmp fsimg_ntfs "$BENCH_DIR/$NAME.tmp" "$BENCH_SIZE_MB" "$BENCH_SEED" "$NFILES" "$DATA_MB" ||
		{ rm -f "$BENCH_DIR/$NAME.tmp" "$BENCH_DIR/$NAME.stats.tmp"; die "building the source image failed"; }
	fsimg_fsck "$BENCH_DIR/$NAME.tmp" ntfs || { rm -f "$BENCH_DIR/$NAME.tmp"; die "the generated NTFS is not clean"; }
	# bytes in use as partclone counts them (it writes its header first: partclone.info reads it, the rest is cut)
	info=$( (partclone.ntfs -c -s "$BENCH_DIR/$NAME.tmp" -o - -L /dev/null 2>/dev/null || true) |
		partclone.info -s - -L /dev/null 2>&1 || true)
	blocks=$(sed -n 's/^Space in use:.*= *\([0-9]*\) Blocks.*/\1/p' <<<"$info")
	bsize=$(sed -n 's/^Block size: *\([0-9]*\) Byte.*/\1/p' <<<"$info")
	[ -n "$blocks" ] && [ -n "$bsize" ] || die "cannot read the used blocks with partclone.info: $info"
	echo "used_bytes=$((blocks * bsize))" >>"$BENCH_DIR/$NAME.stats.tmp"
	echo "block_size=$bsize" >>"$BENCH_DIR/$NAME.stats.tmp"
	mv "$BENCH_DIR/$NAME.stats.tmp" "$STATS"
	mv "$BENCH_DIR/$NAME.tmp" "$SRC"
else
	say "reusing $SRC"
fi
st() { sed -n "s/^$1=//p" "$STATS"; }
USED=$(st used_bytes)
BS=$(st block_size)
COVER=$(( (SIZE - 512) / BS * BS ))   # the whole blocks of the volume: what partclone.restore -W writes
[ "$(stat -c %s "$SRC")" -eq "$SIZE" ] || die "$SRC has the wrong size; delete it and run again"

