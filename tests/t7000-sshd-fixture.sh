#!/bin/bash
# t7000-sshd-fixture: the throwaway OpenSSH server of tests/lib/sshd.sh works as the SSH/SFTP
# repository tests need it: password and key logins, sftp, a changed host key refused, sessions
# killed or frozen on demand, server CPU counted.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/sshd.sh"
make_scratch; D=$SCRATCH
U=cctest-ssh PW='cc pw 7000'

if [ "$(id -u)" -ne 0 ] || ! command -v sshpass >/dev/null || ! _sshd_bin >/dev/null; then
	skip "needs root, openssh-server and sshpass"
	done_testing; exit
fi

sshd_user_add $U "$PW"; ok $? "test user $U created"
sshd_start "$D/sshd"; ok $? "sshd started"
[ -n "$SSHD_PID" ] || { done_testing; exit 1; }
diag "sshd pid $SSHD_PID port $SSHD_PORT, cgroup ${_SSHD_CG:-none}"
key=$(sshd_user_key $U "$D/keys"); ok $? "client key made and authorized"
sshd_known_hosts "$D/kh"
is "$(cut -d' ' -f1,2 "$D/kh")" "[127.0.0.1]:$SSHD_PORT ssh-ed25519" "known_hosts line names the port and the key type"
is "$(ss -Hltn "sport = :$SSHD_PORT" | awk '{print $4}')" "127.0.0.1:$SSHD_PORT" "listens on 127.0.0.1 only"

SSH=(ssh -F /dev/null -o UserKnownHostsFile="$D/kh" -o GlobalKnownHostsFile=/dev/null
	-o StrictHostKeyChecking=yes -o ConnectTimeout=10 -p "$SSHD_PORT")
pw_ssh() { sshpass -p "$1" "${SSH[@]}" -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 "$U@127.0.0.1" "${@:2}"; }
key_ssh() { "${SSH[@]}" -o BatchMode=yes -o IdentitiesOnly=yes -i "$key" "$U@127.0.0.1" "$@"; }

# A wrong password costs about 2 s (pam_unix's fail delay): let it run alongside the rest.
pw_ssh "wrong $PW" true >"$D/wrongpw.out" 2>&1 &
wrongpw=$!

check "password login" pw_ssh "$PW" true
is "$(key_ssh 'id -un; pwd' 2>&1 | tr '\n' ' ')" "$U /home/$U " "key login, lands in the home directory"
check_fails "root may not log in" "Permission denied" \
	"${SSH[@]}" -o BatchMode=yes -o IdentitiesOnly=yes -i "$key" root@127.0.0.1 true

# sftp (the default subsystem is Debian's sftp-server)
head -c 300000 /dev/urandom >"$D/up.bin"
F=f1-$$.bin # unique: another script may use $U at the same time
printf 'put %s %s\nget %s %s\nls -l %s\n' "$D/up.bin" $F $F "$D/down.bin" $F >"$D/batch"
check "sftp -b put and get" sftp -F /dev/null -o UserKnownHostsFile="$D/kh" -o StrictHostKeyChecking=yes \
	-o IdentitiesOnly=yes -i "$key" -P "$SSHD_PORT" -b "$D/batch" "$U@127.0.0.1"
check "sftp: the file arrived in the home directory" cmp "$D/up.bin" "/home/$U/$F"
check "sftp: and came back unchanged" cmp "$D/up.bin" "$D/down.bin"
is "$(stat -c %U "/home/$U/$F")" "$U" "sftp: the uploaded file belongs to the user"
sftp=/usr/lib/openssh/sftp-server; [ "${SSHD_SFTP:-}" = internal ] && sftp=internal-sftp
is "$(grep '^Subsystem' "$SSHD_DIR/sshd_config")" "Subsystem sftp $sftp" "sftp subsystem is $sftp"

# CPU of the server and everything it forked, counted after those processes exited
cpu0=$(sshd_cpu_seconds)
if [ "$cpu0" = NA ]; then
	skip "sshd_cpu_seconds: no cgroup on this machine"
	head -c 100M /dev/zero | key_ssh 'cat > /dev/null'
	ok $? "100 MB through ssh 'cat > /dev/null'"
else
	ok "$(echo "$cpu0" | grep -qE '^[0-9]+\.[0-9]+$'; echo $?)" "sshd_cpu_seconds is a number ($cpu0)"
	head -c 100M /dev/zero | key_ssh 'cat > /dev/null'
	ok $? "100 MB through ssh 'cat > /dev/null'"
	cpu1=$(sshd_cpu_seconds)
	ok "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {exit !(b > a + 0.05)}'; echo $?)" \
		"sshd_cpu_seconds grew with the transfer ($cpu0 -> $cpu1)"
fi

# (before sshd_kill_sessions, which would end this attempt too)
wait $wrongpw; rc=$?
ok "$([ $rc -ne 0 ] && grep -q 'Permission denied' "$D/wrongpw.out"; echo $?)" "a wrong password is refused"
[ $rc -ne 0 ] && grep -q "Permission denied" "$D/wrongpw.out" || { diag "exit $rc:"; sed "s/^/#   /" "$D/wrongpw.out"; }

# sshd_kill_sessions: the server side of an ongoing session dies, the listener stays
# (Other scripts may use $U at the same time, so look only at this sshd's processes.)
wait_sleep() { # wait_sleep 'CMD ARG': the user's command is running under our sshd
	local p
	for _ in $(seq 1 100); do
		for p in $(_sshd_tree "$SSHD_PID" 0); do
			[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")" = "$1 " ] && return 0
		done
		sleep 0.05
	done
	return 1
}
all_gone() { # all_gone PID...: within 2 s, none left (zombies that pid 1 has yet to reap do not count)
	local p left
	for _ in $(seq 1 40); do
		left=''
		for p in "$@"; do _sshd_alive "$p" && left="$left $p"; done
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	ps -o pid=,stat=,user=,args= -p "${left# }" | sed 's/^/#   left: /'
	return 1
}
key_ssh 'sleep 30' >/dev/null 2>&1 &
cpid=$!
wait_sleep 'sleep 30'; ok $? "session with 'sleep 30' running"
procs=$(_sshd_tree "$SSHD_PID" 0)
t0=$(date +%s%N)
sshd_kill_sessions
for _ in $(seq 1 40); do kill -0 $cpid 2>/dev/null || break; sleep 0.05; done
if kill -0 $cpid 2>/dev/null; then
	ok 1 "sshd_kill_sessions ended the client's connection within 2 s"
	kill $cpid 2>/dev/null
else
	ok 0 "sshd_kill_sessions ended the client's connection within 2 s ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
fi
wait $cpid; is $? 255 "the client saw the connection die (exit 255)"
all_gone $procs; ok $? "every process of that session is gone ($(echo $procs | wc -w))"
check "listener still up after sshd_kill_sessions" key_ssh true

# sshd_stop_sessions / sshd_cont_sessions: a server that stops answering, then answers again
key_ssh 'sleep 0.3; echo done' >"$D/frozen.out" 2>&1 &
cpid=$!
wait_sleep 'sleep 0.3'; ok $? "session with 'sleep 0.3' running"
sshd_stop_sessions
sleep 1
ok "$(kill -0 $cpid 2>/dev/null; echo $?)" "frozen session: the client still waits after 1 s"
is "$(cat "$D/frozen.out")" "" "frozen session: nothing answered"
sshd_cont_sessions
wait $cpid; is "$?:$(cat "$D/frozen.out")" "0:done" "after sshd_cont_sessions the command finishes"

# a changed host key
old_pid=$SSHD_PID old_port=$SSHD_PORT
sshd_rekey; ok $? "sshd_rekey"
is "$SSHD_PID:$SSHD_PORT" "$old_pid:$old_port" "same pid and port after sshd_rekey"
check_fails "the old known_hosts is refused after sshd_rekey" "IDENTIFICATION HAS CHANGED|Host key verification failed" key_ssh true
sshd_known_hosts "$D/kh"
check "the new known_hosts is accepted" key_ssh true

# sshd_stop, with a session still running
port=$SSHD_PORT cg=$_SSHD_CG
key_ssh 'sleep 30' >/dev/null 2>&1 &
cpid=$!
wait_sleep 'sleep 30'; ok $? "session with 'sleep 30' running before sshd_stop"
procs=$(_sshd_tree "$SSHD_PID" 0)
sshd_stop
for _ in $(seq 1 40); do kill -0 $cpid 2>/dev/null || break; sleep 0.05; done
ok "$(kill -0 $cpid 2>/dev/null && echo 1 || echo 0)" "sshd_stop: the session's client was disconnected"
kill $cpid 2>/dev/null; wait $cpid 2>/dev/null
all_gone $procs; ok $? "sshd_stop: every process of that session is gone"
is "$(ss -Hltn "sport = :$port")" "" "sshd_stop: the port is closed"
ok "$(_sshd_alive "$old_pid" && echo 1 || echo 0)" "sshd_stop: the daemon is gone"
ok "$([ -z "$cg" ] || [ ! -d "$cg" ]; echo $?)" "sshd_stop: its cgroup is removed"
[ -z "$cg" ] || ok "$(sshd_cpu_seconds | grep -qE '^[0-9]+\.[0-9]+$'; echo $?)" "sshd_cpu_seconds still gives the final count after sshd_stop"

done_testing
