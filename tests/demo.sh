#!/bin/bash
# demo.sh - what `make demo` runs: a save and a restore on a generated demo
# filesystem, with a local repository folder. No real disk is touched.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/lib/fsimg.sh"
CC=$TOP/clonecast
DEMO=${DEMO_DIR:-$TOP/build/demo}
mkdir -p "$DEMO/repo"
run() { printf '\n$ %s\n' "$*"; "$@"; }

if [ ! -e "$DEMO/demo-ntfs.img" ]; then
	echo "Making a 256 MiB demo NTFS filesystem with a few thousand files in $DEMO ..."
	fsimg_ntfs "$DEMO/demo-ntfs.img.tmp" 256 7 3000 110 >/dev/null
	mv "$DEMO/demo-ntfs.img.tmp" "$DEMO/demo-ntfs.img"
fi
rm -f "$DEMO/repo/demo.ntfs-ptcl-img.zst" "$DEMO/restored.img"
run "$CC" save-part -z zstd "$DEMO/demo-ntfs.img" "$DEMO/repo/demo.ntfs-ptcl-img.zst"
run "$CC" info "$DEMO/repo/demo.ntfs-ptcl-img.zst"
run "$CC" check "$DEMO/repo/demo.ntfs-ptcl-img.zst"
run "$CC" restore-part "$DEMO/repo/demo.ntfs-ptcl-img.zst" "$DEMO/restored.img"
fsimg_manifest_ntfs "$DEMO/demo-ntfs.img" "$DEMO/source.manifest"
fsimg_manifest_ntfs "$DEMO/restored.img" "$DEMO/restored.manifest"
if cmp -s "$DEMO/source.manifest" "$DEMO/restored.manifest"; then
	echo
	echo "Every one of the $(grep -c . "$DEMO/source.manifest") entries is identical after the restore."
	echo "The image is in $DEMO/repo; partclone can restore it too:"
	echo "  zstd -dc $DEMO/repo/demo.ntfs-ptcl-img.zst | partclone.restore -s - -W -o copy.img"
else
	echo "the restored filesystem differs from the source" >&2
	exit 1
fi
