#!/bin/bash
# tests/bench/repo.sh - `make bench-repo`: saving to and restoring from an SSH server and a
# Samba server on 127.0.0.1 (real sshd and smbd, started here), against OpenSSH
# (`ssh host 'cat > file'`, as Clonezilla's users pipe images) and `smbclient -c put`
# moving the same image file.  Wall time, client CPU, and the server's CPU (sshd and every
# child: cgroup; smbd: its own and its reaped children's times) per GB.
#
#   BENCH_SIZE_MB=4096 BENCH_FILL=0.5 BENCH_SEED=1 BENCH_DIR=/dev/shm/clonecast-bench
#       the source NTFS (built and cached as by `make bench`)
#   BENCH_RUNS=1      runs of every command (the median is reported)
#   CLONECAST=path    the binary (default ./clonecast); REPO_TOOL=path (build/tests/helpers/repo-tool)
#   BENCH_OUT=path    the table (default build/bench-repo-results.txt)
# Quick run: BENCH_SIZE_MB=512 tests/bench/repo.sh
#
# Everything lives in tmpfs at both ends, so the numbers show the cost of the protocols and of
# the programs, not of disks.  Client and server share this machine's CPUs.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BENCH_SIZE_MB=${BENCH_SIZE_MB:-4096}
BENCH_FILL=${BENCH_FILL:-0.5}
BENCH_SEED=${BENCH_SEED:-1}
BENCH_RUNS=${BENCH_RUNS:-1}
BENCH_DIR=${BENCH_DIR:-/dev/shm/clonecast-bench}
CLONECAST=${CLONECAST:-$ROOT/clonecast}
REPO_TOOL=${REPO_TOOL:-$ROOT/build/tests/helpers/repo-tool}
OUT=${BENCH_OUT:-$ROOT/build/bench-repo-results.txt}

die() { echo "bench-repo: $*" >&2; exit 2; }
say() { echo "bench-repo: $*" >&2; }
[ "$(id -u)" -eq 0 ] || die "must run as root (test users, sshd, smbd, tmpfs mounts)"
[ -x "$CLONECAST" ] && [ -x "$REPO_TOOL" ] || die "build first: make clonecast $REPO_TOOL"
for c in sshd ssh sshpass smbd smbclient smbpasswd partclone.ntfs zstd /usr/bin/time; do
	command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || die "$c not found: run tests/install-deps.sh"
done

. "$ROOT/tests/lib/tap.sh" # at_exit
# tap.sh's cleanup runs every registered step; under set -e one failing step would skip the rest
trap 'set +e; _tap_cleanup' EXIT
. "$ROOT/tests/lib/fsimg.sh"
. "$ROOT/tests/lib/sshd.sh"
. "$ROOT/tests/lib/smbd.sh"
. "$ROOT/tests/bench/source.sh"
mkdir -p "$(dirname "$OUT")"

W=$(mktemp -d "$BENCH_DIR/repo.XXXXXX")
chmod 755 "$W" # smbd and sshd run as the test user: it must reach the shares
at_exit "rm -rf '$W'"
U=cctest-bench
PW=bench-pw-$$
need_mb=$((USED / 1048576 * 2 + 512))

sshd_start "$W/sshd" || die "cannot start sshd"
sshd_user_add $U "$PW"
HOME_U=/home/$U
install -d -o $U "$HOME_U/images"
mount -t tmpfs -o size=${need_mb}m,uid=$(id -u $U),mode=0755 tmpfs "$HOME_U/images"
at_exit "umount -l '$HOME_U/images'"
KEY=$(sshd_user_key $U "$W/keys")
KH=$W/known_hosts
sshd_known_hosts "$KH"
smbd_start "$W/smbd" || die "cannot start smbd"
smbd_add_user $U "$PW"
export CLONECAST_PASSWORD=$PW CC_KNOWN_HOSTS=$KH

SSH_URL="ssh://$U@127.0.0.1:$SSHD_PORT/~/images"
SMB_URL="smb://$U@127.0.0.1:$SMBD_PORT/images"
SSH=(ssh -F /dev/null -o UserKnownHostsFile="$KH" -o StrictHostKeyChecking=yes -o BatchMode=yes
	-i "$KEY" -p "$SSHD_PORT")
HU=$U@127.0.0.1
SMBC=(smbclient "//127.0.0.1/images" -p "$SMBD_PORT" -U "$U%$PW" -m SMB3)
LOCAL=$W/local
mkdir -p "$LOCAL"

# CPU seconds of smbd and the children it reaped (each connection's process exits at disconnect)
smbd_cpu() {
	local hz; hz=$(getconf CLK_TCK)
	awk -v hz="$hz" '{ sub(/^.*\) /, ""); print ($12 + $13 + $14 + $15) / hz }' "/proc/$SMBD_PID/stat"
}
ssh_cpu() { sshd_cpu_seconds; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA") print "NA"; else printf "%.2f", b - a }'; }

declare -A WALL CCPU SCPU BYTES LABEL
ORDER=()
# measure KEY LABEL SERVER(ssh|smb|none) BYTES_FILE_OR_NUMBER CMD...: one timed run
measure() {
	local key=$1 label=$2 srv=$3 bytes=$4 c0 c1 t
	shift 4
	sync
	case $srv in ssh) c0=$(ssh_cpu) ;; smb) c0=$(smbd_cpu) ;; *) c0=NA ;; esac
	/usr/bin/time -f '%e %U %S' -o "$W/time" "$@" >"$W/out" 2>&1 ||
		{ cat "$W/out" >&2; die "failed: $label"; }
	sleep 0.5 # let the server's per-connection process exit and be reaped
	case $srv in ssh) c1=$(ssh_cpu) ;; smb) c1=$(smbd_cpu) ;; *) c1=NA ;; esac
	read -r t u s <"$W/time"
	[ -z "${LABEL[$key]:-}" ] && ORDER+=("$key")
	LABEL[$key]=$label
	WALL[$key]+="$t "
	CCPU[$key]+="$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') "
	SCPU[$key]+="$(sub "$c0" "$c1") "
	BYTES[$key]=$bytes
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "NA"; else print v[int((NR + 1) / 2)] }'; }

say "source: $SRC ($((USED / 1000000)) MB in use); sshd port $SSHD_PORT, smbd port $SMBD_PORT"
# the image every transfer moves: our own save to a local directory
"$CLONECAST" saveparts -q -b -r "$LOCAL" ref "$SRC"
IMG=$(ls "$LOCAL"/ref/*-ptcl-img.zst)
IMGB=$(stat -c %s "$IMG")
TGT=$W/target
for ((run = 1; run <= BENCH_RUNS; run++)); do
	say "run $run of $BENCH_RUNS"
	rm -f "$HOME_U/images"/* "$SMBD_DIR/share"/* 2>/dev/null || true
	measure ssh_put "clonecast SSH: write the image file" ssh "$IMGB" "$REPO_TOOL" "$SSH_URL" put "$IMG" a.zst
	measure ossh_put "OpenSSH: ssh host 'cat > file'" ssh "$IMGB" sh -c '"$@" < "$0"' "$IMG" "${SSH[@]}" "$HU" "cat > images/b.zst"
	measure ossh_gcm_put "OpenSSH -c aes128-gcm: cat > file" ssh "$IMGB" sh -c '"$@" < "$0"' "$IMG" "${SSH[@]}" -c aes128-gcm@openssh.com "$HU" "cat > images/c.zst"
	measure ssh_get "clonecast SSH: read the image file" ssh "$IMGB" "$REPO_TOOL" "$SSH_URL" get a.zst /dev/null
	measure ossh_get "OpenSSH: ssh host 'cat file'" ssh "$IMGB" sh -c '"$@" > /dev/null' sh "${SSH[@]}" "$HU" "cat images/b.zst"
	measure smb_put "clonecast SMB: write the image file" smb "$IMGB" "$REPO_TOOL" "$SMB_URL" put "$IMG" a.zst
	measure smbc_put "smbclient -c put" smb "$IMGB" "${SMBC[@]}" -c "put $IMG b.zst"
	measure smb_get "clonecast SMB: read the image file" smb "$IMGB" "$REPO_TOOL" "$SMB_URL" get a.zst /dev/null
	measure smbc_get "smbclient -c get" smb "$IMGB" "${SMBC[@]}" -c "get b.zst /dev/null"
	cmp -s "$IMG" "$HOME_U/images/a.zst" && cmp -s "$IMG" "$SMBD_DIR/share/a.zst" &&
		cmp -s "$IMG" "$HOME_U/images/b.zst" || die "a copied image differs from the original"
	rm -rf "$LOCAL/e2e" "$HOME_U/images"/* "$SMBD_DIR/share"/*
	measure local_save "clonecast saveparts to a local directory" none "$IMGB" "$CLONECAST" saveparts -q -b -r "$LOCAL" e2e "$SRC"
	measure ssh_save "clonecast saveparts -r ssh://" ssh "$IMGB" "$CLONECAST" saveparts -q -b -r "$SSH_URL" --known-hosts "$KH" e2e "$SRC"
	measure smb_save "clonecast saveparts -r smb://" smb "$IMGB" "$CLONECAST" saveparts -q -b -r "$SMB_URL" e2e "$SRC"
	truncate -s 0 "$TGT"; truncate -s "$SIZE" "$TGT"
	measure local_rest "clonecast restoreparts from a local directory" none "$IMGB" "$CLONECAST" restoreparts -q -b -r "$LOCAL" e2e "$TGT"
	mv "$TGT" "$TGT.ref" # what a restore must give (unused blocks are not copied)
	truncate -s "$SIZE" "$TGT"
	measure ssh_rest "clonecast restoreparts -r ssh://" ssh "$IMGB" "$CLONECAST" restoreparts -q -b -r "$SSH_URL" --known-hosts "$KH" e2e "$TGT"
	cmp -s "$TGT.ref" "$TGT" || die "the partition restored over SSH differs from the local restore"
	truncate -s 0 "$TGT"; truncate -s "$SIZE" "$TGT"
	measure smb_rest "clonecast restoreparts -r smb://" smb "$IMGB" "$CLONECAST" restoreparts -q -b -r "$SMB_URL" e2e "$TGT"
	cmp -s "$TGT.ref" "$TGT" || die "the partition restored over SMB differs from the local restore"
	rm -f "$TGT" "$TGT.ref"
done

row() { # KEY -> "wall mbps ccpu scpu scpu_per_gb"
	local k=$1 w c s
	w=$(median <<<"${WALL[$k]}"); c=$(median <<<"${CCPU[$k]}"); s=$(median <<<"${SCPU[$k]}")
	awk -v w="$w" -v c="$c" -v s="$s" -v b="${BYTES[$k]}" 'BEGIN {
		mbps = w > 0 ? b / 1e6 / w : 0
		spg = (s == "NA") ? "NA" : sprintf("%.2f", s / (b / 1e9))
		printf "%.2f %.0f %s %s %s\n", w, mbps, c, s, spg }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || a + 0 == 0) print "NA"; else printf "%.2f", b / a }'; }
verdict() { awk -v r="$1" 'BEGIN { if (r == "NA") print "n/a"; else if (r + 0 >= 0.95) print "PASS"; else print "MISS" }'; }

{
	echo "make bench-repo: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "source: $NAME ($((USED / 1000000)) MB in use); image $((IMGB / 1000000)) MB (zstd); runs: $BENCH_RUNS (median)"
	echo "sshd: OpenSSH $(ssh -V 2>&1 | sed 's/,.*//'), sftp-server ${SSHD_SFTP:-/usr/lib/openssh/sftp-server}; smbd $(smbd -V 2>/dev/null)"
	echo
	printf '%-46s %8s %7s %9s %9s %11s\n' "what (bytes = the image file)" "wall s" "MB/s" "client s" "server s" "server s/GB"
	for k in "${ORDER[@]}"; do
		read -r w m c s g <<<"$(row "$k")"
		printf '%-46s %8s %7s %9s %9s %11s\n' "${LABEL[$k]}" "$w" "$m" "$c" "$s" "$g"
	done
	echo
	echo "ours against the same file copied by the usual tools (ratio > 1: ours better):"
	for pair in "ssh_put ossh_put" "ssh_put ossh_gcm_put" "ssh_get ossh_get" "smb_put smbc_put" "smb_get smbc_get"; do
		read -r a b <<<"$pair"
		read -r wa _ _ _ ga <<<"$(row "$a")"; read -r wb _ _ _ gb <<<"$(row "$b")"
		rw=$(ratio "$wa" "$wb"); rg=$(ratio "$ga" "$gb")
		printf '  %-38s vs %-34s speed %5sx %-4s  server CPU/GB %5sx %s\n' "${LABEL[$a]}" "${LABEL[$b]}" \
			"$rw" "$(verdict "$rw")" "$rg" "$(verdict "$rg")"
	done
	echo "  (target: at least as fast, at no more server CPU per GB; PASS allows 5% noise)"
} | tee "$OUT"
say "table written to $OUT"
exit 0
