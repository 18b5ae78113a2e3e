# shellcheck shell=bash
# ocs.sh - run the REAL Clonezilla (ocs-sr from Debian's clonezilla/drbl packages) on disk image
# files, so that tests can compare Clonecast with it.
#
#   . tests/lib/ocs.sh
#   ocs_available                     0 if ocs-sr can run here; else prints why on stdout (for skip)
#   ocs_savedisk IMAGE_ROOT IMAGE_NAME DISKFILE [ZOPT [OCS_SR_OPTION...]]
#       attach DISKFILE to a loop device and run
#       ocs-sr -or IMAGE_ROOT -b -q2 -j2 ZOPT -i 0 -sfsck -scs -senc -nogui -p true [OPTIONS] savedisk NAME loopN
#       ZOPT: -z9p (default: zstdmt, *.zst), -z1p (pigz, *.gz), -z0, ...
#       The image names the disk loopN and its partitions loopNpM (whatever loop device was free).
#   ocs_restoredisk IMAGE_ROOT IMAGE_NAME DISKFILE [OCS_SR_OPTION...]
#       attach DISKFILE (an existing file, e.g. a blank one of the same size) and run
#       ocs-sr -or IMAGE_ROOT OPTIONS restoredisk NAME loopN, OPTIONS defaulting to $OCS_RESTORE_OPTS:
#       -b -k0 -j2 -irhr -ius -iui -iefi -nogui -p true  (table from the image (sfdisk / sgdisk),
#       hidden data after the MBR, partclone restore with the pre-restore image check, swap by
#       mkswap, EBRs, MBR boot code, ntfsfix -d; no mounting of the restored filesystems for
#       udev/syslinux/initrd/grub/EFI post-processing). Clonezilla live's wizard adds
#       e.g. -e1 auto -e2 -r (ntfsfixboot, resize), or -scr to skip the image check.
#   ocs_sr ARGS...                    ocs-sr ARGS with the workarounds below (the caller attaches)
#
# Environment: OCS_TIMEOUT (seconds per ocs-sr run, default 600); OCS_LOGDIR: keep every run's
# log there as ocs-<mode>-<name>.log (default: a temp dir, removed unless the run failed). On
# failure the tail of the log goes to stderr with its path. OCS_VERBOSE=1: the log to stderr.
#
# What ocs-sr needs on this machine (Debian 12 packages clonezilla 5.3.17, drbl 5.2.7, plus
# partclone, parted (partprobe; ocs-sr uses parted to tell MBR from GPT), gdisk (sgdisk), zstd,
# pigz, util-linux (sfdisk, partx)), and the workarounds applied here:
#  - the kernel finds no partitions by itself (no partition-table parsers: `losetup -P` and
#    BLKRRPART leave /proc/partitions without loopNpM; partx/partprobe via BLKPG do work) and
#    there is no udev. So: partitions are added with partx after losetup (diskimg_attach), and
#    a PATH shim for `blockdev` re-adds them with `partx -u` after every `blockdev --rereadpt`
#    (ocs-sr runs partprobe, then blockdev --rereadpt, which would drop them all again, and then
#    waits for them in /proc/partitions). devtmpfs makes the /dev nodes; if a node is missing
#    the shim mknod's it from sysfs.
#  - a PATH shim `udevadm` (settle/trigger/control: success; info: nothing), because libparted
#    and ocs-sr call it and it is not installed.
#  - a private mount namespace per run with private /tmp and /var/log (see _ocs_runner): ocs-sr
#    leaves /tmp/parttable-ocs.*, /tmp/multipath_info.*, /tmp/ocs-cache behind, converts an image
#    for another disk name in /tmp/<img>-tmp-cnvted (loop0 -> loop1), and writes
#    /var/log/clonezilla.log and partclone logs; none of that touches the real /tmp or /var/log.
#  - stdin is /dev/null (ocs-sr's "Press Enter" prompts return at once), TERM is set, runs are
#    serialised with flock (they would share loop-device probing and the partition cache).
#  - -or IMAGE_ROOT: no /home/partimag needed. A timeout (OCS_TIMEOUT) guards against hangs.
# Checks beyond ocs-sr's exit status: savedisk must log "End of savedisk job" and write disk,
# parts and an image per listed partition; restoredisk must log "End of restoredisk job", no
# "Program terminated", and one "Cloned successfully." per partclone image.
# Timing here (2 cores, mbr disk of diskimg.sh): savedisk ~25 s, restoredisk ~45 s: partclone
# needs ~2 s per partition whatever its size and ocs-sr sleeps 2 s after each table change.
# Harmless noise in the logs: "Error opening /dev/vda: Operation not permitted" (parted probing
# every disk), cryptsetup/lvscan/pvs/dmraid "command not found" (no LUKS/LVM/fake RAID checks),
# "swapoff failed", /proc/mdstat and /dev/mem missing.

OCS_LIB=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=tests/lib/diskimg.sh
. "$(dirname "$OCS_LIB")/diskimg.sh"
export OCS_LIB

_ocs_run() {
	"${BASH:-bash}" -c 'set -euo pipefail; . "$OCS_LIB"; "$@"' ocs "$@"
}
ocs_available()   { _ocs_run _ocs_available "$@"; }
ocs_savedisk()    { _ocs_run _ocs_savedisk "$@"; }
ocs_restoredisk() { _ocs_run _ocs_restoredisk "$@"; }
ocs_sr()          { _ocs_run _ocs_sr "$@"; }

OCS_SAVE_FIXED_OPTS="-b -q2 -j2 -i 0 -sfsck -scs -senc -nogui -p true"
OCS_RESTORE_OPTS=${OCS_RESTORE_OPTS:-"-b -k0 -j2 -irhr -ius -iui -iefi -nogui -p true"}
OCS_LOCK=${OCS_LOCK:-/run/lock/clonecast-ocs-sr.lock}

_ocs_die() { echo "ocs: $*" >&2; exit 1; }

_ocs_available() {
	local c
	[ "$(id -u)" -eq 0 ] || { echo "ocs-sr needs root"; return 1; }
	for c in ocs-sr partclone.ntfs partclone.extfs partclone.fat partclone.dd partclone.chkimg parted \
		partprobe sfdisk sgdisk partx losetup zstdmt pigz flock timeout mkswap ntfsfix; do
		command -v "$c" >/dev/null 2>&1 || { echo "$c not found (tests/install-deps.sh installs clonezilla drbl partclone parted gdisk zstd pigz)"; return 1; }
	done
	[ -e /dev/loop-control ] || { echo "no /dev/loop-control (no loop devices)"; return 1; }
	[ -d /sys/block ] || { echo "no /sys/block"; return 1; }
	return 0
}

# the shims, in a directory put first in ocs-sr's PATH
_ocs_shims() {
	local d=$1
	mkdir -p "$d"
	cat >"$d/blockdev" <<'EOF'
#!/bin/bash
# ocs.sh shim: the kernel here cannot parse partition tables itself, so after a BLKRRPART
# (which drops every partition) re-add them from the table with partx (BLKPG).
real=/usr/sbin/blockdev; [ -x "$real" ] || real=/sbin/blockdev
"$real" "$@"; rc=$?
reread=
for a; do
	case $a in --rereadpt) reread=1 ;; esac
done
if [ -n "$reread" ]; then
	for a; do
		case $a in
		/dev/*)
			[ -b "$a" ] || continue
			partx -u "$a" >/dev/null 2>&1 || partx -a "$a" >/dev/null 2>&1 || true
			n=${a#/dev/}
			for p in /sys/block/"$n"/"$n"*; do
				[ -e "$p/partition" ] && [ -e "$p/dev" ] || continue
				[ -b "/dev/${p##*/}" ] && continue
				IFS=: read -r ma mi <"$p/dev"
				# recorded for diskimg_detach, which removes the nodes it finds listed
				mknod -m 600 "/dev/${p##*/}" b "$ma" "$mi" 2>/dev/null &&
					echo "/dev/${p##*/}" >>"${DISKIMG_STATE:-/run/diskimg}/$n" || true
			done ;;
		esac
	done
fi
exit $rc
EOF
	cat >"$d/udevadm" <<'EOF'
#!/bin/sh
# ocs.sh shim: no udev here. settle/trigger/control succeed; info knows nothing.
case $1 in info) exit 1 ;; *) exit 0 ;; esac
EOF
	chmod 755 "$d/blockdev" "$d/udevadm"
}

# _ocs_sr ARGS...: run ocs-sr with the shims, the lock and a log; the log path is in $_OCS_LOG
_OCS_TMPD='' _OCS_LOG='' _OCS_DEV='' _OCS_ROOT=''
_ocs_cleanup() {
	local rc=$?
	if [ -n "$_OCS_DEV" ]; then _diskimg_detach "$_OCS_DEV" >/dev/null 2>&1 || true; _OCS_DEV=; fi
	if [ -n "$_OCS_TMPD" ]; then
		if [ "$rc" -eq 0 ] || [ -n "${OCS_LOGDIR:-}" ] || [ -z "$_OCS_LOG" ] || [ ! -s "$_OCS_LOG" ]; then
			rm -rf "$_OCS_TMPD"
		else   # keep the log and ocs-sr's /var/log (partclone logs) for a look
			rm -rf "$_OCS_TMPD/shims" "$_OCS_TMPD/runner" "$_OCS_TMPD/priv/tmp"
			echo "ocs: log kept in $_OCS_LOG, ocs-sr's /var/log in $_OCS_TMPD/priv/log" >&2
		fi
		_OCS_TMPD=
	fi
}
_ocs_setup() { # MODE NAME
	_OCS_TMPD=$(mktemp -d "$(_fsimg_tmpbase)/ocs.XXXXXX")
	trap _ocs_cleanup EXIT
	trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP
	_ocs_shims "$_OCS_TMPD/shims"
	if [ -n "${OCS_LOGDIR:-}" ]; then mkdir -p "$OCS_LOGDIR"; _OCS_LOG=$OCS_LOGDIR/ocs-$1-$2.log
	else _OCS_LOG=$_OCS_TMPD/ocs-$1-$2.log; fi
	: >"$_OCS_LOG"
}
# Each run gets a private mount namespace (unshare -m) in which /tmp and /var/log are private
# directories in the run's temp dir: ocs-sr's hard-coded /tmp files (parttable-ocs.*,
# multipath_info.*, ocs-cache/, <img>-tmp-cnvted/, mount points) and its logs
# (/var/log/clonezilla.log, partclone.log, ...) go there and never collide with other runs; an
# image root or temp dir under /tmp is bind-mounted back in at the same path.
_ocs_runner() {
	cat >"$1" <<'EOF'
#!/bin/bash
# ocs.sh runner, inside `unshare -m --propagation private`: PRIV ROOT ocs-sr-args...
set -e
priv=$1 root=$2; shift 2
for p in "$root" "$(dirname "$priv")"; do
	case $p in /tmp/?*) mkdir -p "$priv/tmp${p#/tmp}"; mount --bind "$p" "$priv/tmp${p#/tmp}" ;; esac
done
mount --rbind "$priv/tmp" /tmp
mount --bind "$priv/log" /var/log
set +e
exec ocs-sr "$@"
EOF
	chmod 755 "$1"
}
_ocs_exec() { # ocs-sr ARGS; returns its status. _OCS_ROOT: the image root
	local rc=0 priv=$_OCS_TMPD/priv
	mkdir -p "$(dirname "$OCS_LOCK")" "$priv/tmp" "$priv/log"
	chmod 1777 "$priv/tmp"
	_ocs_runner "$_OCS_TMPD/runner"
	{
		echo "+ ocs-sr $*"
		(
			w0=$(date +%s)
			flock -w "${OCS_TIMEOUT:-600}" 9 || { echo "ocs: could not lock $OCS_LOCK"; exit 1; }
			[ $(($(date +%s) - w0)) -lt 2 ] || echo "ocs: waited $(($(date +%s) - w0)) s for $OCS_LOCK (another ocs-sr run)"
			export PATH="$_OCS_TMPD/shims:/usr/sbin:/usr/bin:/sbin:/bin" TERM=${TERM:-xterm} LC_ALL=C DISKIMG_STATE
			if unshare -m --propagation private true 2>/dev/null; then
				timeout -k 10 "${OCS_TIMEOUT:-600}" unshare -m --propagation private \
					"$_OCS_TMPD/runner" "$priv" "${_OCS_ROOT:-/nonexistent}" "$@" </dev/null
			else
				echo "ocs: unshare -m does not work here; ocs-sr uses the real /tmp and /var/log"
				timeout -k 10 "${OCS_TIMEOUT:-600}" ocs-sr "$@" </dev/null
			fi
		) 9>"$OCS_LOCK" || rc=$?
		echo "+ exit status $rc"
	} >>"$_OCS_LOG" 2>&1
	if [ -n "${OCS_LOGDIR:-}" ]; then
		rm -rf "${_OCS_LOG%.log}.varlog"; cp -r "$priv/log" "${_OCS_LOG%.log}.varlog" 2>/dev/null || true
	fi
	if [ -n "${OCS_VERBOSE:-}" ]; then cat "$_OCS_LOG" >&2; fi
	return $rc
}
_ocs_fail() { # MESSAGE: the tail of the log, then die
	echo "ocs: $1; the end of $_OCS_LOG:" >&2
	grep -av 'Elapsed:\|current block:' "$_OCS_LOG" | tail -40 | sed 's/^/ocs:   /' >&2
	exit 1
}
_ocs_sr() {
	local a prev=''
	for a; do if [ "$prev" = -or ]; then _OCS_ROOT=$(readlink -f "$a"); fi; prev=$a; done
	_ocs_setup run "$$"
	_ocs_exec "$@" || _ocs_fail "ocs-sr $* failed"
}

_ocs_savedisk() {
	[ $# -ge 3 ] || _ocs_die "usage: ocs_savedisk IMAGE_ROOT IMAGE_NAME DISKFILE [ZOPT [OCS_SR_OPTION...]]"
	local root=$1 name=$2 file=$3 zopt=${4:--z9p} d p why
	shift 3; [ $# -gt 0 ] && shift
	why=$(_ocs_available) || _ocs_die "cannot run ocs-sr: $why"
	[ -f "$file" ] || _ocs_die "no such disk image: $file"
	[[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || _ocs_die "bad image name '$name'"
	mkdir -p "$root"; root=$(readlink -f "$root"); _OCS_ROOT=$root
	_ocs_setup savedisk "$name"
	_OCS_DEV=$(_diskimg_attach "$file")
	# shellcheck disable=SC2086
	_ocs_exec -or "$root" $OCS_SAVE_FIXED_OPTS "$zopt" "$@" savedisk "$name" "${_OCS_DEV#/dev/}" ||
		_ocs_fail "ocs-sr savedisk failed"
	d=$root/$name
	grep -aq 'End of savedisk job' "$_OCS_LOG" || _ocs_fail "ocs-sr did not finish the savedisk job"
	[ -s "$d/disk" ] && [ -s "$d/parts" ] || _ocs_fail "no disk/parts file in $d"
	for p in $(cat "$d/parts"); do
		compgen -G "$d/$p.*img*" >/dev/null || _ocs_fail "no image of partition $p in $d"
	done
	_diskimg_detach "$_OCS_DEV"; _OCS_DEV=
}

_ocs_restoredisk() {
	[ $# -ge 3 ] || _ocs_die "usage: ocs_restoredisk IMAGE_ROOT IMAGE_NAME DISKFILE [OCS_SR_OPTION...]"
	local root=$1 name=$2 file=$3 why nimg nok
	shift 3
	why=$(_ocs_available) || _ocs_die "cannot run ocs-sr: $why"
	[ -f "$file" ] || _ocs_die "no such target file: $file (make a blank one with truncate -s)"
	root=$(readlink -f "$root"); _OCS_ROOT=$root
	[ -s "$root/$name/disk" ] || _ocs_die "$root/$name is not a Clonezilla disk image (no 'disk' file)"
	local -a opts
	if [ $# -gt 0 ]; then opts=("$@"); else read -r -a opts <<<"$OCS_RESTORE_OPTS"; fi
	_ocs_setup restoredisk "$name"
	_OCS_DEV=$(_diskimg_attach "$file")
	_ocs_exec -or "$root" "${opts[@]}" restoredisk "$name" "${_OCS_DEV#/dev/}" ||
		_ocs_fail "ocs-sr restoredisk failed"
	grep -aq 'End of restoredisk job' "$_OCS_LOG" || _ocs_fail "ocs-sr did not finish the restoredisk job"
	! grep -aq 'Program terminated' "$_OCS_LOG" || _ocs_fail "ocs-sr terminated"
	# every partition image must have been written by partclone
	nimg=$(find "$root/$name" -maxdepth 1 -name '*-ptcl-img*' ! -name '*.a[b-z]' | wc -l)
	nok=$(grep -ac '^Cloned successfully\.' "$_OCS_LOG" || true)
	[ "$nok" -ge "$nimg" ] || _ocs_fail "only $nok of $nimg partition images were restored"
	_diskimg_detach "$_OCS_DEV"; _OCS_DEV=
}
