#!/bin/bash
# t7100-repo-ssh: whole disks saved to and restored from a real OpenSSH server on 127.0.0.1
# (own config, host key, test user, Debian's sftp-server): host-key checking (unknown, accepted,
# asked, changed), passwords (environment, file, prompt, wrong), keys, and what a user meets
# when things go wrong: server killed or frozen in the middle, a full repository, no permission,
# nothing listening, no route.  An image that did not finish is never listed.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/diskimg.sh"
. "$TOP/tests/lib/sshd.sh"
make_scratch; D=$SCRATCH
CC=$CLONECAST
PW='s3cret pass'
U=cctest-t7100

sshd_start "$D/sshd" || { echo "Bail out! cannot start sshd"; exit 1; }
sshd_user_add $U "$PW"
H=/home/$U
install -d -o $U -m 0755 "$H/images"
URL="ssh://$U@127.0.0.1:$SSHD_PORT/~/images"
KH=$D/known_hosts
NET=(--known-hosts "$KH" --timeout 5)
export CLONECAST_PASSWORD="$PW"
FP=$(ssh-keygen -lf "$SSHD_HOSTKEY_PUB" | awk '{print $2}')
FP_RE=$(printf '%s' "$FP" | sed 's/[][\\.*^$+?(){}|/]/\\&/g') # base64 has '+' and '/'

src=$D/src.img
diskimg_make "$src" mbr 41 >/dev/null 2>&1; ok $? "made a filled MBR disk image"
diskimg_manifest "$src" "$D/src.m" >/dev/null 2>&1
src_sum=$(sha256sum <"$src")

# --- host keys --------------------------------------------------------------------------
check_fails "unknown host key, batch, no --accept-new-host-key: refused with its fingerprint" \
	"not known yet.*$FP_RE" "$CC" savedisk -q -b -r "$URL" "${NET[@]}" img1 "$src"
ok $([ ! -e "$KH" ] && [ -z "$(ls -A "$H/images")" ] && echo 0 || echo 1) \
	"  nothing recorded, nothing written"
check "--accept-new-host-key: savedisk over SSH" \
	"$CC" savedisk -q -b -r "$URL" "${NET[@]}" --accept-new-host-key img1 "$src"
ok $(grep -q "^\[127.0.0.1\]:$SSHD_PORT ssh-ed25519 $(cut -d' ' -f2 "$SSHD_HOSTKEY_PUB")" "$KH" && echo 0 || echo 1) \
	"  the host key was recorded in --known-hosts"
img=$H/images/img1
check "  the checksum list matches on the server" sh -c "cd '$img' && sha256sum --quiet -c SHA256SUMS"
ok $([ -e "$img/clonezilla-img" ] && [ -s "$img/sda1.ntfs-ptcl-img.zst" ] && echo 0 || echo 1) \
	"  a Clonezilla image directory on the server"
ok $(stat -c %U "$img/disk" | grep -qx $U && echo 0 || echo 1) "  files belong to the SSH user"
ok $(grep -rqF "$PW" "$img" && echo 1 || echo 0) "  the password is in no file of the image"
out=$("$CC" list -b -r "$URL" "${NET[@]}" 2>&1)
ok $(printf '%s\n' "$out" | grep -q '^img1 .* sda$' && echo 0 || echo 1) "list over SSH shows img1"
ok $(printf '%s' "$out" | grep -qF "$PW" && echo 1 || echo 0) "  and never prints the password"
check "check -r over SSH" "$CC" check -q -b -r "$URL" "${NET[@]}" img1

truncate -s "$(stat -c %s "$src")" "$D/t1"
check "restoredisk over SSH to a blank disk" "$CC" restoredisk -q -b -r "$URL" "${NET[@]}" img1 "$D/t1"
diskimg_manifest "$D/t1" "$D/t1.m" >/dev/null 2>&1
check "  every file of every partition is identical" cmp "$D/src.m" "$D/t1.m"
check "  fsck clean" diskimg_fsck "$D/t1"

# --- credentials ------------------------------------------------------------------------
check_fails "wrong password: refused, says so" "wrong password" \
	env CLONECAST_PASSWORD=wrong "$CC" savedisk -q -b -r "$URL" "${NET[@]}" img2 "$src"
ok $([ ! -e "$H/images/img2" ] && [ ! -e "$H/images/img2.partial" ] && echo 0 || echo 1) "  nothing written"
check_fails "no password in batch mode: says how to give one" "password-file" \
	env -u CLONECAST_PASSWORD "$CC" list -b -r "$URL" "${NET[@]}"
printf '%s\n' "$PW" >"$D/pw"; chmod 600 "$D/pw"
check "--password-file" env -u CLONECAST_PASSWORD "$CC" list -b -r "$URL" "${NET[@]}" --password-file "$D/pw"
key=$(sshd_user_key $U "$D/keys")
check "-k KEYFILE, no password" env -u CLONECAST_PASSWORD "$CC" list -b -r "$URL" "${NET[@]}" -k "$key"
check_fails "a password inside the URL is refused" "password into the URL" \
	"$CC" list -b -r "ssh://$U:xyz@127.0.0.1:$SSHD_PORT/~/images" "${NET[@]}"

# the prompts, on a terminal (script(1) gives the command a pty)
tty_run() { # LINE1 LINE2 -- CMD...: run CMD on a pseudo-terminal, typing each line after a
	# pause (as a person answers prompts); prints the screen
	local lines=()
	while [ "$1" != -- ]; do lines+=("$1"); shift; done; shift
	{ for l in "${lines[@]}"; do sleep 1.5; printf '%s\n' "$l"; done; sleep 3; } |
		script -qefc "$(printf '%q ' "$@")" /dev/null 2>&1
}
rm -f "$D/kh2"
out=$(tty_run no -- env -u CLONECAST_PASSWORD "$CC" list -r "$URL" --known-hosts "$D/kh2")
ok $(printf '%s' "$out" | grep -qF "$FP" && [ ! -s "$D/kh2" ] && echo 0 || echo 1) \
	"unknown host key on a terminal: fingerprint shown; 'no' refuses, records nothing"
out=$(tty_run yes "$PW" -- env -u CLONECAST_PASSWORD "$CC" list -r "$URL" --known-hosts "$D/kh2")
ok $(printf '%s' "$out" | grep -q '^img1 ' && [ -s "$D/kh2" ] && echo 0 || echo 1) \
	"  'yes' records it, then the password typed at the prompt logs in"
ok $(printf '%s' "$out" | grep -qF "$PW" && echo 1 || echo 0) "  the typed password is not echoed"

# --- a changed host key is refused, always ------------------------------------------------
sshd_rekey
check_fails "changed host key: refused with a clear message" "CHANGED" \
	"$CC" list -b -r "$URL" "${NET[@]}"
check_fails "  also with --accept-new-host-key" "CHANGED" \
	"$CC" savedisk -q -b -r "$URL" "${NET[@]}" --accept-new-host-key img3 "$src"
ok $([ ! -e "$H/images/img3.partial" ] && echo 0 || echo 1) "  nothing was sent"
sshd_known_hosts "$KH"

# --- the server dies or freezes in the middle of a save ------------------------------------
# wait_partial: until the save has started writing partition data on the server
wait_partial() { local i; for ((i = 0; i < 200; i++)); do
	compgen -G "$H/images/$1.partial/sda1.*" >/dev/null && return 0; sleep 0.05; done; return 1; }
# a slow save (gzip level 9, one thread), so that it is surely still running
"$CC" savedisk -q -b -z gzip:9 -j 1 -r "$URL" "${NET[@]}" killed "$src" >"$D/kill.out" 2>&1 &
pid=$!
wait_partial killed; ok $? "  (save running)"
sshd_stop_sessions; sshd_kill_sessions
t0=$(date +%s); wait $pid; rc=$?; t1=$(date +%s)
ok $([ $rc -ne 0 ] && grep -q "connection to the SSH server .* was lost" "$D/kill.out" && echo 0 || echo 1) \
	"server killed in the middle: the save fails with 'connection lost'"
ok $([ $((t1 - t0)) -le 10 ] && echo 0 || echo 1) "  at once ($((t1 - t0)) s)"
out=$("$CC" list -b -r "$URL" "${NET[@]}" 2>&1)
ok $(printf '%s\n' "$out" | grep -q '^killed' && echo 1 || echo 0) "  the unfinished image is not listed"
ok $([ ! -e "$H/images/killed" ] && echo 0 || echo 1) "  no directory with the image's name"
is "$(sha256sum <"$src")" "$src_sum" "  the source disk is untouched"

"$CC" savedisk -q -b -z gzip:9 -j 1 -r "$URL" "${NET[@]}" frozen "$src" >"$D/frozen.out" 2>&1 &
pid=$!
wait_partial frozen; ok $? "  (save running)"
sshd_stop_sessions
t0=$(date +%s); wait $pid; rc=$?; t1=$(date +%s)
sshd_cont_sessions; sshd_kill_sessions
ok $([ $rc -ne 0 ] && grep -q "stopped answering" "$D/frozen.out" && echo 0 || echo 1) \
	"server frozen (connection open, no answer): the save fails with 'stopped answering'"
ok $([ $((t1 - t0)) -le 15 ] && echo 0 || echo 1) "  within the --timeout of 5 s ($((t1 - t0)) s)"
ok $("$CC" list -b -r "$URL" "${NET[@]}" 2>&1 | grep -q '^frozen' && echo 1 || echo 0) "  not listed"
check "a new save of the same name after that works" \
	"$CC" savedisk -q -b -r "$URL" "${NET[@]}" frozen "$src"
ok $([ ! -e "$H/images/frozen.partial" ] && echo 0 || echo 1) "  and the stale partial directory is gone"

# a restore whose server stops answering: a clear error, no hang
truncate -s "$(stat -c %s "$src")" "$D/t2"
"$CC" restoredisk -q -b -r "$URL" "${NET[@]}" img1 "$D/t2" >"$D/rfrozen.out" 2>&1 &
pid=$!
# until partition data is being written (the partition table comes first)
for ((i = 0; i < 500; i++)); do [ "$(stat -c %b "$D/t2")" -gt 16384 ] && break; sleep 0.01; done
sshd_stop_sessions
t0=$(date +%s); wait $pid; rc=$?; t1=$(date +%s)
sshd_cont_sessions; sshd_kill_sessions
ok $([ $rc -ne 0 ] && grep -q "stopped answering" "$D/rfrozen.out" && [ $((t1 - t0)) -le 15 ] && echo 0 || echo 1) \
	"restore from a server that stops answering: fails within the timeout ($((t1 - t0)) s), says why"

# --- a full repository --------------------------------------------------------------------
install -d -o $U "$H/small"
mount -t tmpfs -o size=12m,mode=0755,uid=$(id -u $U) tmpfs "$H/small" && at_exit "umount -l '$H/small'"
check_fails "full repository: the save stops and says so" "is full" \
	"$CC" savedisk -q -b -r "ssh://$U@127.0.0.1:$SSHD_PORT/~/small" "${NET[@]}" big "$src"
ok $([ ! -e "$H/small/big" ] && echo 0 || echo 1) "  no image named big"
ok $([ -z "$(ls -A "$H/small")" ] && echo 0 || echo 1) "  the partial image was removed (space freed)"
is "$(sha256sum <"$src")" "$src_sum" "  the source disk is untouched"

# --- permissions, missing things, nothing listening, no route ------------------------------
install -d -o root -m 0755 "$H/ro"
check_fails "a directory the user may not write: permission denied" "ermission denied" \
	"$CC" savedisk -q -b -r "ssh://$U@127.0.0.1:$SSHD_PORT/~/ro" "${NET[@]}" x "$src"
check_fails "a directory that does not exist: says so" "does not exist on the SSH server" \
	"$CC" list -b -r "ssh://$U@127.0.0.1:$SSHD_PORT/~/nonexistent" "${NET[@]}"
check_fails "restore of an image that is not there: says so" "img-missing" \
	"$CC" restoredisk -q -b -r "$URL" "${NET[@]}" img-missing "$D/t1"
port=$(_sshd_free_port)
check_fails "nothing listening: connection refused" "refused the connection" \
	"$CC" list -b -r "ssh://$U@127.0.0.1:$port/x" "${NET[@]}"
ns=cc-t7100-$$
if ip netns add $ns 2>/dev/null; then
	at_exit "ip netns del $ns"
	check_fails "no route to the host (empty network namespace): says so" "cannot connect|no answer" \
		ip netns exec $ns "$CC" list -b -r "ssh://$U@10.9.9.9/x" "${NET[@]}"
else
	skip "no network namespaces here"
fi

done_testing
