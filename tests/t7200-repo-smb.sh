#!/bin/bash
# t7200-repo-smb: whole disks saved to and restored from a real Samba server on 127.0.0.1 (own
# smb.conf, passdb, state under the scratch directory): SMB2 and SMB3, a domain, a share and a
# directory with spaces, a hostile ~/.smb/smb.conf that must not matter, and what a user meets
# when things go wrong: wrong password, no such share, server killed or frozen in the middle,
# a full share, no permission, nothing listening.  An image that did not finish is never listed.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/diskimg.sh"
. "$TOP/tests/lib/smbd.sh"
make_scratch; D=$SCRATCH
chmod 755 "$D" # smbd works as the test user, which must reach the share directories
CC=$CLONECAST
PW='pa ss;word%1'
U=cctest-t7200

if ! why=$(smbd_available); then skip "smbd cannot run here: $why"; done_testing; exit; fi
smbd_start "$D/smbd" || { echo "Bail out! cannot start smbd"; exit 1; }
smbd_add_user $U "$PW"
S=$SMBD_DIR/share
URL="smb://$U@127.0.0.1:$SMBD_PORT/images"
NET=(--timeout 5)
export CLONECAST_PASSWORD="$PW"

src=$D/src.img
diskimg_make "$src" gpt 43 >/dev/null 2>&1; ok $? "made a filled GPT disk image"
diskimg_manifest "$src" "$D/src.m" >/dev/null 2>&1
src_sum=$(sha256sum <"$src")

# libsmbclient reads ~/.smb/smb.conf: one that allows only SMB1 would break every connection
# if it were read.  Ours must not depend on it.
mkdir -p "$D/home/.smb"
printf '[global]\n\tclient min protocol = NT1\n\tclient max protocol = NT1\n' >"$D/home/.smb/smb.conf"
export HOME=$D/home

check "savedisk over SMB" "$CC" savedisk -q -b -r "$URL" "${NET[@]}" img1 "$src"
img=$S/img1
check "  the checksum list matches on the server" sh -c "cd '$img' && sha256sum --quiet -c SHA256SUMS"
ok $([ -e "$img/clonezilla-img" ] && [ -s "$img/sda-gpt-1st" ] && echo 0 || echo 1) \
	"  a Clonezilla image directory on the share"
ok $([ "$(stat -c %U "$img/disk")" = $U ] && echo 0 || echo 1) "  files belong to the Samba user"
ok $(grep -rqF "$PW" "$img" && echo 1 || echo 0) "  the password is in no file of the image"
ok $([ ! -e "$S/img1.partial" ] && echo 0 || echo 1) "  no partial directory left"
out=$("$CC" list -b -r "$URL" "${NET[@]}" 2>&1)
ok $(printf '%s\n' "$out" | grep -q '^img1 .* sda$' && echo 0 || echo 1) "list over SMB shows img1"
check "check -r over SMB" "$CC" check -q -b -r "$URL" "${NET[@]}" img1
truncate -s "$(stat -c %s "$src")" "$D/t1"
check "restoredisk over SMB to a blank disk" "$CC" restoredisk -q -b -r "$URL" "${NET[@]}" img1 "$D/t1"
diskimg_manifest "$D/t1" "$D/t1.m" >/dev/null 2>&1
check "  every file of every partition is identical" cmp "$D/src.m" "$D/t1.m"
check "  fsck clean" diskimg_fsck "$D/t1"

# --- versions, domain, spaces --------------------------------------------------------------
check "--smb-protocol 2" "$CC" list -b -r "$URL" "${NET[@]}" --smb-protocol 2
check "--smb-protocol 3" "$CC" list -b -r "$URL" "${NET[@]}" --smb-protocol 3
check "DOMAIN;USER in the URL" "$CC" list -b -r "smb://CCTEST;$U@127.0.0.1:$SMBD_PORT/images" "${NET[@]}"
install -d -o $U "$SMBD_DIR/share2/term 1"
check "a share and a directory with spaces (%20): saveparts of one partition" \
	"$CC" saveparts -q -b -r "smb://$U@127.0.0.1:$SMBD_PORT/Lab%20Images/term%201" "${NET[@]}" \
	one-part "$D/t1"
ok $([ -e "$SMBD_DIR/share2/term 1/one-part/clonezilla-img" ] && echo 0 || echo 1) "  it is there"
check "  and listed when written with plain spaces" sh -c \
	"'$CC' list -b -r 'smb://$U@127.0.0.1:$SMBD_PORT/Lab Images/term 1' --timeout 5 | grep -q '^one-part '"

# --- credentials and names ----------------------------------------------------------------
check_fails "wrong password: refused, says so" "user name and (the )?password" \
	env CLONECAST_PASSWORD=wrong "$CC" savedisk -q -b -r "$URL" "${NET[@]}" img2 "$src"
ok $([ ! -e "$S/img2" ] && [ ! -e "$S/img2.partial" ] && echo 0 || echo 1) "  nothing written"
check_fails "no password in batch mode: says how to give one" "password-file|CLONECAST_PASSWORD" \
	env -u CLONECAST_PASSWORD "$CC" list -b -r "$URL" "${NET[@]}"
printf '%s\n' "$PW" >"$D/pw"
check "--password-file" env -u CLONECAST_PASSWORD "$CC" list -b -r "$URL" "${NET[@]}" --password-file "$D/pw"
check_fails "a share that does not exist: names it" "nosuchshare" \
	"$CC" list -b -r "smb://$U@127.0.0.1:$SMBD_PORT/nosuchshare" "${NET[@]}"
check_fails "a directory that does not exist: says so" "does not exist|not found" \
	"$CC" list -b -r "$URL/nonexistent" "${NET[@]}"
install -d -o root -m 0755 "$S/ro"
check_fails "a directory the user may not write: permission denied" "ermission denied|not allowed" \
	"$CC" savedisk -q -b -r "$URL/ro" "${NET[@]}" x "$src"

# --- the server dies or freezes in the middle of a save ------------------------------------
wait_partial() { local i; for ((i = 0; i < 200; i++)); do
	compgen -G "$S/$1.partial/sda*.*-img*" >/dev/null && return 0; sleep 0.05; done; return 1; }
smbd_children() { pgrep -P "$SMBD_PID"; }
"$CC" savedisk -q -b -z gzip:9 -j 1 -r "$URL" "${NET[@]}" killed "$src" >"$D/kill.out" 2>&1 &
pid=$!
wait_partial killed; ok $? "  (save running)"
kill -STOP $(smbd_children) 2>/dev/null; kill -KILL $(smbd_children) 2>/dev/null
t0=$(date +%s); wait $pid; rc=$?; t1=$(date +%s)
ok $([ $rc -ne 0 ] && grep -Eq "connection .*lost|closed the connection" "$D/kill.out" && echo 0 || echo 1) \
	"server process killed in the middle: the save fails with 'connection lost'"
[ $rc -ne 0 ] && sed 's/^/#   /' "$D/kill.out" | head -3
ok $([ $((t1 - t0)) -le 10 ] && echo 0 || echo 1) "  at once ($((t1 - t0)) s)"
sleep 0.5
ok $("$CC" list -b -r "$URL" "${NET[@]}" 2>&1 | grep -q '^killed' && echo 1 || echo 0) "  the unfinished image is not listed"
ok $([ ! -e "$S/killed" ] && echo 0 || echo 1) "  no directory with the image's name"
is "$(sha256sum <"$src")" "$src_sum" "  the source disk is untouched"

"$CC" savedisk -q -b -z gzip:9 -j 1 -r "$URL" "${NET[@]}" frozen "$src" >"$D/frozen.out" 2>&1 &
pid=$!
wait_partial frozen; ok $? "  (save running)"
kids=$(smbd_children)
kill -STOP $kids
t0=$(date +%s); wait $pid; rc=$?; t1=$(date +%s)
kill -CONT $kids; kill -KILL $kids 2>/dev/null
ok $([ $rc -ne 0 ] && grep -Eq "stopped answering|connection .*lost" "$D/frozen.out" && echo 0 || echo 1) \
	"server frozen (connection open, no answer): the save fails and says why"
[ $rc -ne 0 ] && sed 's/^/#   /' "$D/frozen.out" | head -3
ok $([ $((t1 - t0)) -le 30 ] && echo 0 || echo 1) "  within 30 s ($((t1 - t0)) s, --timeout 5)"
sleep 0.5
ok $("$CC" list -b -r "$URL" "${NET[@]}" 2>&1 | grep -q '^frozen' && echo 1 || echo 0) "  not listed"
check "a new save of the same name after that works" "$CC" savedisk -q -b -r "$URL" "${NET[@]}" frozen "$src"
ok $([ ! -e "$S/frozen.partial" ] && echo 0 || echo 1) "  and the stale partial directory is gone"

# a restore whose server stops answering: a clear error, no hang
truncate -s "$(stat -c %s "$src")" "$D/t2"
"$CC" restoredisk -q -b -r "$URL" "${NET[@]}" img1 "$D/t2" >"$D/rfrozen.out" 2>&1 &
pid=$!
# until partition data is being written (the partition table comes first)
for ((i = 0; i < 500; i++)); do [ "$(stat -c %b "$D/t2")" -gt 16384 ] && break; sleep 0.01; done
kids=$(smbd_children)
kill -STOP $kids
t0=$(date +%s); wait $pid; rc=$?; t1=$(date +%s)
kill -CONT $kids; kill -KILL $kids 2>/dev/null
ok $([ $rc -ne 0 ] && grep -Eq "stopped answering|connection .*lost" "$D/rfrozen.out" && [ $((t1 - t0)) -le 30 ] && echo 0 || echo 1) \
	"restore from a server that stops answering: fails within 30 s ($((t1 - t0)) s), says why"
[ $rc -ne 0 ] && sed 's/^/#   /' "$D/rfrozen.out" | head -3
sleep 0.5

# --- a full share ---------------------------------------------------------------------------
install -d -o $U "$S/small"
mount -t tmpfs -o size=12m,mode=0755,uid=$(id -u $U) tmpfs "$S/small" && at_exit "umount -l '$S/small'"
check_fails "full share: the save stops and says so" "is full" \
	"$CC" savedisk -q -b -r "$URL/small" "${NET[@]}" big "$src"
ok $([ ! -e "$S/small/big" ] && echo 0 || echo 1) "  no image named big"
ok $([ -z "$(ls -A "$S/small")" ] && echo 0 || echo 1) "  the partial image was removed (space freed)"
is "$(sha256sum <"$src")" "$src_sum" "  the source disk is untouched"

# --- nothing listening; a server that speaks only SMB3 ---------------------------------------
port=$(_smbd_free_port)
check_fails "nothing listening: cannot connect, says so" "cannot connect|refused" \
	"$CC" list -b -r "smb://$U@127.0.0.1:$port/images" "${NET[@]}"
smbd_stop
smbd_start "$D/smbd3" "server min protocol = SMB3" || { echo "Bail out! cannot restart smbd"; exit 1; }
smbd_add_user $U "$PW"
check "SMB3-only server: auto works" "$CC" list -b -r "smb://$U@127.0.0.1:$SMBD_PORT/images" "${NET[@]}"
check_fails "  --smb-protocol 2 fails and names the protocol option" "smb-protocol|protocol" \
	"$CC" list -b -r "smb://$U@127.0.0.1:$SMBD_PORT/images" "${NET[@]}" --smb-protocol 2

done_testing
