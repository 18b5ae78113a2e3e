# shellcheck shell=bash
# sshd.sh - a real, throwaway OpenSSH server on 127.0.0.1 for the SSH/SFTP repository tests.
#
#   . tests/lib/tap.sh; . tests/lib/sshd.sh
#   sshd_user_add NAME PW     unix user NAME (home, /bin/bash) with password PW; removed at exit
#                             (names start with cctest-: AllowUsers, and a stale /home/NAME is removed)
#   sshd_user_key NAME DIR    new ed25519 key pair DIR/id_NAME(.pub), authorized for NAME;
#                             prints the private key's path
#   sshd_start DIR            host key + DIR/sshd_config, start sshd on a free port (stopped at exit)
#   sshd_known_hosts FILE     write the known_hosts line "[127.0.0.1]:PORT TYPE BASE64" to FILE
#   sshd_rekey                new host key, sshd restarted (SIGHUP) on the same port and pid
#   sshd_stop                 stop sshd and every process of its sessions; wait for the port to close
#   sshd_kill_sessions        SIGKILL every session (all the master's descendants); listener stays
#   sshd_stop_sessions        SIGSTOP them: connections stay open but nothing answers
#   sshd_cont_sessions        SIGCONT them again
#   sshd_cpu_seconds          CPU seconds (user+sys) of sshd and all its descendants so far,
#                             those that exited included; "NA" if no cgroup could be made
# Exports SSHD_DIR, SSHD_PORT, SSHD_PID, SSHD_HOSTKEY_PUB.  One server per script at a time.
# Call sshd_start, sshd_user_add and sshd_rekey directly, not in $(...) or check: they set
# variables and register cleanups (at_exit from tap.sh) in the calling shell.  Without tap.sh,
# call sshd_cleanup from your EXIT trap (stops sshd, removes the users sshd_user_add made).
#
# Settings (environment, read by sshd_start):
#   SSHD_SFTP=internal        Subsystem sftp internal-sftp (default: /usr/lib/openssh/sftp-server,
#                             Debian's default, so the benchmark measures what a real server runs)
#   SSHD_ALLOW_USERS=...      AllowUsers patterns (default "cctest-*": every test user, never root)
#   SSHD_CONFIG_EXTRA=...     lines appended to sshd_config (Match blocks go here)
#   SSHD_CGROUP=auto|v2|v1|none  where sshd_cpu_seconds gets its number (default auto)
#
# Needs root (other users' logins, password checks through PAM, useradd).  Client side, e.g.:
#   sshpass -p PW ssh -F /dev/null -o UserKnownHostsFile=KH -o StrictHostKeyChecking=yes \
#       -o PubkeyAuthentication=no -p "$SSHD_PORT" cctest-ssh@127.0.0.1 true
#   ssh -F /dev/null -o UserKnownHostsFile=KH -o StrictHostKeyChecking=yes -o BatchMode=yes \
#       -i KEY -p "$SSHD_PORT" cctest-ssh@127.0.0.1 true
#
# Decisions:
# - Authorized keys: the default place, ~NAME/.ssh/authorized_keys, with StrictModes yes as on a
#   real server.  A key file under the scratch directory would fail StrictModes (every parent must
#   be root-owned and not group/world writable, and /dev/shm, /tmp are 1777), and even with
#   StrictModes no sshd reads the file as the user, who cannot enter the 0700 scratch directory.
#   The home directory is under /home (root, 0755) and goes away with userdel -r.
# - /run/sshd (privilege separation directory) is created when missing (fresh containers) and
#   left in place: it is the openssh-server package's own directory, and other scripts may share it.
# - The port is chosen at run time, below the ephemeral range (so no outgoing connection can hold
#   it), among ports nothing uses; if sshd still cannot bind it (a race), another one is tried.
# - sshd runs in the foreground (-D) as our child, with absolute paths (-f, -E: the re-exec'd
#   child chdirs to /).  Each connection's sshd calls setsid(), so a process group does not
#   reach the sessions: stopping walks the process tree (pgrep -P), freezing each process with
#   SIGSTOP before listing its children so none can fork away, and also kills whatever is left
#   in sshd's cgroup.
# - OpenSSH >= 9.8 penalises source addresses whose sessions crash or fail to log in
#   (PerSourcePenalties), which would lock 127.0.0.1 out after sshd_kill_sessions or a wrong
#   password test; it is turned off when this sshd knows the option (9.2 does not).
# - CPU accounting: sshd is started inside its own cgroup, so every forked child is counted,
#   even after it exits.  cgroup v2 (cpu.stat usage_usec, always present, no controller needed):
#   a child of the cgroup2 mount's root, else of our own cgroup; then v1 (cpuacct.usage).  This
#   machine is hybrid (v1 controllers + v2 at /sys/fs/cgroup/unified); Debian 12 hosts are pure
#   v2.  In a container whose /sys/fs/cgroup is read-only no cgroup can be made: then
#   sshd_cpu_seconds prints "NA" (the tests and the benchmark must accept that).  The cgroup is
#   removed by sshd_stop, which keeps the final count for sshd_cpu_seconds.

SSHD_DIR=${SSHD_DIR:-} SSHD_PORT=${SSHD_PORT:-} SSHD_PID=${SSHD_PID:-} SSHD_HOSTKEY_PUB=${SSHD_HOSTKEY_PUB:-}
_SSHD_CG='' _SSHD_CGKIND='' _SSHD_CPU_FINAL='' _SSHD_AT_EXIT=''

_sshd_die() { echo "sshd.sh: $*" >&2; return 1; }

# Cleanups go to tap.sh's at_exit; without tap.sh (the benchmark) they are kept here and run by
# sshd_cleanup, which the caller's own EXIT trap must call.
_SSHD_CLEANUPS=()
_sshd_at_exit() { if declare -F at_exit >/dev/null; then at_exit "$1"; else _SSHD_CLEANUPS+=("$1"); fi; }
sshd_cleanup() {
	local i
	for ((i = ${#_SSHD_CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${_SSHD_CLEANUPS[$i]}" >/dev/null 2>&1; done
	_SSHD_CLEANUPS=()
}

# _sshd_bin: absolute path of sshd (root's PATH has /usr/sbin, others may not)
_sshd_bin() {
	local b
	b=$(PATH=$PATH:/usr/sbin:/sbin command -v sshd) && [ "${b#/}" != "$b" ] && { echo "$b"; return 0; }
	[ -x /usr/sbin/sshd ] && { echo /usr/sbin/sshd; return 0; }
	return 1
}

# _sshd_alive PID: the process exists and is not a zombie
_sshd_alive() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# _sshd_free_port: a TCP port nobody uses, below the ephemeral range when there is room
_sshd_free_port() {
	local lo=32768 hi=60999 base span used p
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
	if [ "$lo" -gt 12000 ]; then base=10000 span=$((lo - 10000)); else base=$((hi + 1)) span=$((65535 - hi)); fi
	[ "$span" -ge 100 ] || { base=20000 span=40000; }
	used=" $(ss -Htan 2>/dev/null | awk '{n = split($4, a, ":"); printf "%s ", a[n]}') "
	for _ in $(seq 1 200); do
		p=$((base + (RANDOM * 32768 + RANDOM) % span))
		case $used in *" $p "*) continue ;; esac
		echo "$p"
		return 0
	done
	return 1
}

# _sshd_tree PID SIG: send SIG to every descendant of PID (not PID itself), each before its
# children are listed, so SIGSTOP freezes the whole tree; prints the pids.
_sshd_tree() {
	local front=$1 sig=$2 next p c all=''
	while [ -n "$front" ]; do
		next=''
		for p in $front; do
			for c in $(pgrep -P "$p" 2>/dev/null); do
				case " $all " in *" $c "*) continue ;; esac
				kill "-$sig" "$c" 2>/dev/null
				all="$all $c" next="$next $c"
			done
		done
		front=$next
	done
	echo "$all"
}

# _sshd_cg_procs: the processes in sshd's cgroup other than the master
_sshd_cg_procs() {
	[ -n "$_SSHD_CG" ] && [ -r "$_SSHD_CG/cgroup.procs" ] || return 0
	grep -vx "${SSHD_PID:-none}" "$_SSHD_CG/cgroup.procs" 2>/dev/null
}

# ---------------------------------------------------------------- cgroup
# _sshd_cg_candidates: "KIND DIR" lines, the directories under which a cgroup may be made
_sshd_cg_candidates() {
	local want=${SSHD_CGROUP:-auto} m own
	if [ "$want" = auto ] || [ "$want" = v2 ]; then
		own=$(sed -n 's/^0:://p' /proc/self/cgroup 2>/dev/null)
		while read -r m; do
			echo "v2 $m"
			[ -n "$own" ] && [ "$own" != / ] && echo "v2 $m$own"
		done < <(awk '$3 == "cgroup2" {print $2}' /proc/mounts)
	fi
	if [ "$want" = auto ] || [ "$want" = v1 ]; then
		awk '$3 == "cgroup" && $4 ~ /(^|,)cpuacct(,|$)/ {print "v1 " $2}' /proc/mounts
	fi
}

# _sshd_cg_make: make an empty cgroup that a process can be moved into; sets _SSHD_CG/_SSHD_CGKIND
_sshd_cg_make() {
	local kind base cg stat name
	_SSHD_CG='' _SSHD_CGKIND=''
	name=cctest-sshd-$$-$RANDOM
	while read -r kind base; do
		[ -n "$base" ] || continue
		cg=$base/$name
		case $kind in v2) stat=cpu.stat ;; *) stat=cpuacct.usage ;; esac
		mkdir "$cg" 2>/dev/null || continue
		# Try a move with a throw-away process, then start from fresh counters.
		if [ -r "$cg/$stat" ] && bash -c 'echo $$ >"$1/cgroup.procs"' _ "$cg" 2>/dev/null; then
			for _ in $(seq 1 20); do rmdir "$cg" 2>/dev/null && break; sleep 0.05; done
			if mkdir "$cg" 2>/dev/null; then
				_SSHD_CG=$cg _SSHD_CGKIND=$kind
				return 0
			fi
		fi
		rmdir "$cg" 2>/dev/null
	done < <(_sshd_cg_candidates)
	return 1
}

_sshd_cg_read() {
	case $_SSHD_CGKIND in
	v2) awk '$1 == "usage_usec" {printf "%.3f\n", $2 / 1e6; f = 1} END {exit !f}' "$_SSHD_CG/cpu.stat" 2>/dev/null ;;
	v1) awk '{printf "%.3f\n", $1 / 1e9; f = 1} END {exit !f}' "$_SSHD_CG/cpuacct.usage" 2>/dev/null ;;
	*) return 1 ;;
	esac
}

# _sshd_cg_remove: kill what is left in the cgroup (all started by our sshd), then rmdir it
_sshd_cg_remove() {
	local p
	[ -n "$_SSHD_CG" ] || return 0
	[ -d "$_SSHD_CG" ] || { _SSHD_CG='' _SSHD_CGKIND=''; return 0; }
	_SSHD_CPU_FINAL=$(_sshd_cg_read)
	for _ in $(seq 1 50); do
		rmdir "$_SSHD_CG" 2>/dev/null && break
		for p in $(cat "$_SSHD_CG/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		sleep 0.1
	done
	[ -d "$_SSHD_CG" ] && _sshd_die "cannot remove cgroup $_SSHD_CG"
	_SSHD_CG='' _SSHD_CGKIND=''
}

sshd_cpu_seconds() {
	if [ -n "$_SSHD_CG" ]; then
		_sshd_cg_read && return 0
	elif [ -z "${SSHD_PID:-}" ] && [ -n "$_SSHD_CPU_FINAL" ]; then
		echo "$_SSHD_CPU_FINAL"
		return 0
	fi
	echo NA
}

# ---------------------------------------------------------------- users and keys
# Users are shared by name between scripts that run at the same time (several checkouts, a
# developer next to CI): each sshd_user_add leaves a claim $_SSHD_USERS/NAME/PID (holding the
# script's start time, so a reused pid is not mistaken for it), and at exit the last live
# claimant removes the user.  Claims of scripts that died without cleanup are dropped then.
# /run/cctest-sshd-users (a lock file, on tmpfs) stays.  Such scripts must use the same password.
_SSHD_USERS=/run/cctest-sshd-users

# _sshd_proc_start PID: the process's start time (clock ticks after boot)
_sshd_proc_start() {
	local st f
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	read -r -a f <<<"${st##*) }"
	echo "${f[19]}"
}

_sshd_user_del() { # NAME: drop this script's claim on NAME; the last claimant removes the user
	local name=$1
	[ -d "$_SSHD_USERS" ] || return 0
	(
		flock 9 || exit 1
		rm -f "$_SSHD_USERS/$name/$$"
		for f in "$_SSHD_USERS/$name"/*; do
			[ -e "$f" ] || continue
			[ "$(_sshd_proc_start "${f##*/}")" = "$(cat "$f")" ] && exit 0 # still used
			rm -f "$f"
		done
		rmdir "$_SSHD_USERS/$name" 2>/dev/null
		getent passwd "$name" >/dev/null || exit 0
		# userdel refuses a user that still runs processes: all started through the tests' sshd.
		for p in $(pgrep -u "$name" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		for _ in $(seq 1 20); do
			[ -z "$(ps -u "$name" -o stat= 2>/dev/null | grep -v '^Z')" ] && break
			sleep 0.05
		done
		# -f: zombies (killed sessions that pid 1 has not reaped yet) still count as "in use"
		userdel -r "$name" 2>/dev/null || userdel -r -f "$name"
	) 9>>"$_SSHD_USERS/.lock"
}

sshd_user_add() {
	local name=$1 pw=$2 rc home
	[ -n "$name" ] && [ -n "$pw" ] || { _sshd_die "usage: sshd_user_add NAME PASSWORD"; return 1; }
	mkdir -p "$_SSHD_USERS" || return 1
	(
		flock 9 || exit 1
		mkdir -p "$_SSHD_USERS/$name" && _sshd_proc_start $$ >"$_SSHD_USERS/$name/$$" || exit 1
		# an existing user is adopted: another script's, or a leftover of an interrupted run
		if ! getent passwd "$name" >/dev/null; then
			# A home left behind by an earlier test user of that name (removed without -r, or
			# chowned by a test) would keep its old owners: the new user could not write to it.
			home=$(useradd -D | sed -n 's/^HOME=//p')/$name
			case $name in cctest-*) [ ! -d "$home" ] || rm -rf "$home" ;; esac
			useradd -m -s /bin/bash "$name" || { _sshd_die "useradd $name failed"; exit 1; }
		fi
		printf '%s:%s\n' "$name" "$pw" | chpasswd || { _sshd_die "chpasswd for $name failed"; exit 1; }
	) 9>>"$_SSHD_USERS/.lock"
	rc=$?
	_sshd_at_exit "_sshd_user_del '$name'"
	return $rc
}

sshd_user_key() {
	local name=$1 dir=$2 home group key
	[ -n "$name" ] && [ -n "$dir" ] || { _sshd_die "usage: sshd_user_key NAME DIR"; return 1; }
	home=$(getent passwd "$name" | cut -d: -f6) && [ -d "$home" ] ||
		{ _sshd_die "sshd_user_key: no user $name with a home directory"; return 1; }
	group=$(id -gn "$name") || return 1
	mkdir -p "$dir" || return 1
	key=$(cd "$dir" && pwd)/id_$name
	rm -f "$key" "$key.pub"
	ssh-keygen -q -t ed25519 -N '' -C "cctest-$name" -f "$key" || return 1
	install -d -m 700 -o "$name" -g "$group" "$home/.ssh" || return 1
	cat "$key.pub" >>"$home/.ssh/authorized_keys" || return 1
	chown "$name:$group" "$home/.ssh/authorized_keys" && chmod 600 "$home/.ssh/authorized_keys" || return 1
	echo "$key"
}

# ---------------------------------------------------------------- the server
_sshd_conf() { # _sshd_conf DIR PORT
	local d=$1 port=$2 sftp=/usr/lib/openssh/sftp-server
	[ "${SSHD_SFTP:-}" = internal ] && sftp=internal-sftp
	cat <<EOF
# Throw-away test server written by tests/lib/sshd.sh
Port $port
ListenAddress 127.0.0.1
AddressFamily inet
HostKey $d/hostkey
PidFile $d/sshd.pid
LogLevel VERBOSE
PermitRootLogin no
AllowUsers ${SSHD_ALLOW_USERS:-cctest-*}
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
StrictModes yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM yes
PrintMotd no
X11Forwarding no
MaxSessions 20
MaxStartups 50
Subsystem sftp $sftp
EOF
}

# _sshd_wait_listen PID PORT LINES: wait (10 s) until PID listens on PORT and the log has more
# than LINES "Server listening" lines.  0 ready, 1 sshd died, 2 sshd died on a bind error, 3 timeout.
_sshd_wait_listen() {
	local pid=$1 port=$2 lines=$3
	for _ in $(seq 1 100); do
		if ! _sshd_alive "$pid"; then
			grep -qE 'Bind to port .* failed|Cannot bind any address|Address already in use' \
				"$SSHD_DIR/sshd.log" 2>/dev/null && return 2
			return 1
		fi
		if [ "$(grep -c 'Server listening on' "$SSHD_DIR/sshd.log" 2>/dev/null)" -gt "$lines" ] &&
			ss -Hltnp "sport = :$port" 2>/dev/null | grep -q "pid=$pid,"; then
			return 0
		fi
		sleep 0.1
	done
	return 3
}

_sshd_log_tail() { tail -n 15 "$SSHD_DIR/sshd.log" 2>/dev/null | sed 's/^/#   sshd.log: /' >&2; }

sshd_start() {
	local d=$1 bin port rc lines out
	[ -n "$d" ] || { _sshd_die "usage: sshd_start DIR"; return 1; }
	[ -z "${SSHD_PID:-}" ] || { _sshd_die "sshd_start: already running (pid $SSHD_PID)"; return 1; }
	bin=$(_sshd_bin) || { _sshd_die "sshd is not installed (openssh-server)"; return 1; }
	mkdir -p "$d" && d=$(cd "$d" && pwd) || return 1
	[ -d /run/sshd ] || { mkdir -p /run/sshd && chmod 755 /run/sshd; } || return 1
	rm -f "$d/hostkey" "$d/hostkey.pub"
	ssh-keygen -q -t ed25519 -N '' -C cctest-sshd -f "$d/hostkey" || { _sshd_die "ssh-keygen failed"; return 1; }
	SSHD_DIR=$d SSHD_HOSTKEY_PUB=$d/hostkey.pub SSHD_PORT='' _SSHD_CPU_FINAL=''
	export SSHD_DIR SSHD_HOSTKEY_PUB
	[ -n "$_SSHD_AT_EXIT" ] || { _sshd_at_exit sshd_stop; _SSHD_AT_EXIT=1; }
	[ "${SSHD_CGROUP:-auto}" = none ] || _sshd_cg_make ||
		echo "# sshd.sh: no cgroup could be made here, sshd_cpu_seconds will print NA" >&2
	for _ in 1 2 3 4 5; do
		port=$(_sshd_free_port) || { _sshd_die "no free TCP port found"; break; }
		_sshd_conf "$d" "$port" >"$d/sshd_config"
		# PerSourcePenalties (OpenSSH >= 9.8): off, see the top of this file.
		"$bin" -t -f "$d/sshd_config" -o PerSourcePenalties=no >/dev/null 2>&1 &&
			echo "PerSourcePenalties no" >>"$d/sshd_config"
		[ -z "${SSHD_CONFIG_EXTRA:-}" ] || printf '%s\n' "$SSHD_CONFIG_EXTRA" >>"$d/sshd_config"
		if ! out=$("$bin" -t -f "$d/sshd_config" 2>&1); then
			_sshd_die "sshd -t rejects $d/sshd_config:"
			printf '%s\n' "$out" | sed 's/^/#   /' >&2
			break
		fi
		lines=$(grep -c 'Server listening on' "$d/sshd.log" 2>/dev/null)
		lines=${lines:-0}
		if [ -n "$_SSHD_CG" ]; then
			# enter the cgroup first, then become sshd (same pid), so every child is counted
			bash -c 'echo $$ >"$1/cgroup.procs" || exit 1; shift; exec "$@"' sshd-launch "$_SSHD_CG" \
				"$bin" -D -f "$d/sshd_config" -E "$d/sshd.log" </dev/null >>"$d/sshd.log" 2>&1 &
		else
			"$bin" -D -f "$d/sshd_config" -E "$d/sshd.log" </dev/null >>"$d/sshd.log" 2>&1 &
		fi
		SSHD_PID=$!
		_sshd_wait_listen "$SSHD_PID" "$port" "$lines"
		rc=$?
		if [ $rc -eq 0 ]; then
			SSHD_PORT=$port
			export SSHD_PORT SSHD_PID
			return 0
		fi
		wait "$SSHD_PID" 2>/dev/null
		[ $rc -eq 2 ] && { SSHD_PID=''; continue; }
		[ $rc -eq 3 ] && _sshd_die "sshd did not listen on port $port within 10 s"
		[ $rc -eq 1 ] && _sshd_die "sshd exited at start"
		break
	done
	_sshd_log_tail
	sshd_stop
	return 1
}

sshd_known_hosts() {
	[ -n "$1" ] && [ -n "${SSHD_PORT:-}" ] && [ -r "${SSHD_HOSTKEY_PUB:-}" ] ||
		{ _sshd_die "usage: sshd_known_hosts FILE (after sshd_start)"; return 1; }
	echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$SSHD_HOSTKEY_PUB")" >"$1"
}

sshd_rekey() {
	local lines rc
	[ -n "${SSHD_PID:-}" ] || { _sshd_die "sshd_rekey: no sshd running"; return 1; }
	rm -f "$SSHD_DIR/hostkey" "$SSHD_DIR/hostkey.pub"
	ssh-keygen -q -t ed25519 -N '' -C cctest-sshd -f "$SSHD_DIR/hostkey" || return 1
	lines=$(grep -c 'Server listening on' "$SSHD_DIR/sshd.log")
	# SIGHUP: sshd closes its listener and re-execs itself (same pid, same cgroup), reading the
	# config and host keys again; established sessions are left alone.
	kill -HUP "$SSHD_PID" || return 1
	_sshd_wait_listen "$SSHD_PID" "$SSHD_PORT" "$lines"
	rc=$?
	[ $rc -eq 0 ] && return 0
	_sshd_die "sshd did not come back after SIGHUP (wait status $rc)"
	_sshd_log_tail
	return 1
}

sshd_kill_sessions() {
	[ -n "${SSHD_PID:-}" ] || { _sshd_die "sshd_kill_sessions: no sshd running"; return 1; }
	local p
	# freeze the sessions' trees first, so nothing forks while we kill
	for p in $(_sshd_tree "$SSHD_PID" STOP) $(_sshd_cg_procs); do kill -KILL "$p" 2>/dev/null; done
	return 0
}

sshd_stop_sessions() {
	[ -n "${SSHD_PID:-}" ] || { _sshd_die "sshd_stop_sessions: no sshd running"; return 1; }
	local p
	_sshd_tree "$SSHD_PID" STOP >/dev/null
	for p in $(_sshd_cg_procs); do kill -STOP "$p" 2>/dev/null; done
	return 0
}

sshd_cont_sessions() {
	[ -n "${SSHD_PID:-}" ] || { _sshd_die "sshd_cont_sessions: no sshd running"; return 1; }
	local p
	_sshd_tree "$SSHD_PID" CONT >/dev/null
	for p in $(_sshd_cg_procs); do kill -CONT "$p" 2>/dev/null; done
	return 0
}

sshd_stop() {
	local pid=${SSHD_PID:-} port=${SSHD_PORT:-} p
	if [ -n "$pid" ]; then
		# master first (no new connections), then freeze and kill everything under it
		kill -STOP "$pid" 2>/dev/null
		for p in $(_sshd_tree "$pid" STOP) $(_sshd_cg_procs); do kill -KILL "$p" 2>/dev/null; done
		kill -TERM "$pid" 2>/dev/null
		kill -CONT "$pid" 2>/dev/null
		for _ in $(seq 1 50); do _sshd_alive "$pid" || break; sleep 0.1; done
		_sshd_alive "$pid" && kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		SSHD_PID=''
	fi
	if [ -n "$port" ]; then
		for _ in $(seq 1 50); do
			[ -z "$(ss -Hltn "src 127.0.0.1 and sport = :$port" 2>/dev/null)" ] && break
			sleep 0.1
		done
	fi
	_sshd_cg_remove
	SSHD_PORT=''
	return 0
}
