# shellcheck shell=bash
# smbd.sh - a throwaway Samba server on 127.0.0.1 for the SMB repository tests.
#
#   . tests/lib/tap.sh; . tests/lib/smbd.sh
#   smbd_available           0 if smbd can run here; else prints why on stdout (for skip)
#   smbd_start DIR [LINE...] write DIR/smb.conf (LINEs are extra [global] settings, e.g.
#                            "server min protocol = SMB3") and start smbd on a free port;
#                            shares [images] = DIR/share and [Lab Images] = DIR/share2
#   smbd_add_user NAME PW    a Samba user NAME with password PW; creates the unix user if
#                            missing (removed again at exit) and gives it both share directories
#   smbd_kill_sessions       SIGKILL the processes serving connections (the listener stays)
#   smbd_stop_sessions       SIGSTOP them: connections stay open but nothing answers
#   smbd_cont_sessions       SIGCONT them again
#   smbd_stop                stop smbd and its children (also done at exit)
# Exports SMBD_DIR, SMBD_PORT, SMBD_PID.  One server per script at a time.  Call smbd_start and
# smbd_add_user directly, not in $(...) or check: they set variables and register cleanups
# (at_exit from tap.sh) in the calling shell.
#
# Everything smbd keeps (passdb, locks, state, caches, pid file, logs in DIR/log) lives under
# DIR; /etc/samba and /var/lib/samba are not touched.  Needs root: smbd changes to the logged-in
# user for file access, so DIR and its parents must be searchable by that user (smbd_start makes
# DIR 0755; make_scratch's directory is 0700, so chmod 755 "$SCRATCH" first).  The port is
# picked at run time below the ephemeral range, so tests may run side by side.  smbd runs in a
# session of its own: when it stops it signals its whole process group, which would otherwise
# include the test script.

_smbd_die() { echo "smbd.sh: $*" >&2; return 1; }

smbd_available() {
	local t
	[ "$(id -u)" -eq 0 ] || { echo "not root (smbd must switch users)"; return 1; }
	for t in smbd smbpasswd testparm setsid ss useradd userdel runuser; do
		command -v "$t" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$t" >/dev/null 2>&1 ||
			{ echo "$t is not installed"; return 1; }
	done
	return 0
}

# _smbd_free_port: a TCP port nobody listens on, from 20000 up to the ephemeral range (where
# an outgoing connection could take it).
_smbd_free_port() {
	local lo hi p
	read -r hi _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || hi=32768
	lo=20000
	[ "$hi" -gt $((lo + 1000)) ] || hi=60000
	for _ in $(seq 1 100); do
		p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
		[ -z "$(ss -Hltn "sport = :$p")" ] && { echo "$p"; return 0; }
	done
	return 1
}

_smbd_conf() { # _smbd_conf DIR PORT [LINE...]
	local d=$1 port=$2 l
	shift 2
	cat <<EOF
[global]
	server role = standalone server
	workgroup = CCTEST
	netbios name = CCTEST
	interfaces = 127.0.0.1
	bind interfaces only = yes
	smb ports = $port
	disable netbios = yes
	server min protocol = SMB2_02
	private dir = $d/private
	lock directory = $d/lock
	state directory = $d/state
	cache directory = $d/cache
	pid directory = $d/pid
	ncalrpc dir = $d/ncalrpc
	binddns dir = $d/bind-dns
	usershare path = $d/usershares
	passdb backend = tdbsam:$d/private/passdb.tdb
	log file = $d/log/log.%m
	max log size = 0
	load printers = no
	printing = bsd
	printcap name = /dev/null
	disable spoolss = yes
	map to guest = never
	restrict anonymous = 2
EOF
	for l in "$@"; do printf '\t%s\n' "$l"; done
	cat <<EOF

[images]
	path = $d/share
	read only = no

[Lab Images]
	path = $d/share2
	read only = no
EOF
}

# _smbd_try DIR PORT [LINE...]: start smbd on PORT; 0 once it listens, 1 if it died.
_smbd_try() {
	local d=$1 port=$2
	shift 2
	_smbd_conf "$d" "$port" "$@" >"$d/smb.conf"
	testparm -s "$d/smb.conf" >"$d/log/testparm.out" 2>&1 ||
		{ _smbd_die "bad smb.conf, see $d/log/testparm.out"; return 2; }
	# Its own session: smbd signals its whole process group when it stops, which
	# would otherwise be the test script.  (No job control here, so setsid execs
	# smbd in place and $! is smbd.)
	setsid smbd -F --no-process-group -s "$d/smb.conf" --debug-stdout >"$d/log/smbd.stdout" 2>&1 &
	SMBD_PID=$!
	for _ in $(seq 1 100); do # 10 s
		kill -0 "$SMBD_PID" 2>/dev/null || { wait "$SMBD_PID" 2>/dev/null; SMBD_PID=; return 1; }
		[ -n "$(ss -Hltn "src 127.0.0.1 and sport = :$port")" ] && return 0
		sleep 0.1
	done
	_smbd_die "smbd did not listen on port $port within 10 s, see $d/log"
	return 2
}

smbd_start() {
	local d=$1 port rc
	shift
	[ -n "$d" ] || { _smbd_die "smbd_start: no directory given"; return 1; }
	[ -z "${SMBD_PID:-}" ] || { _smbd_die "smbd_start: already running (pid $SMBD_PID)"; return 1; }
	mkdir -p "$d" && chmod 755 "$d" || return 1
	d=$(cd "$d" && pwd)
	mkdir -p "$d"/{private,lock,state,cache,pid,ncalrpc,bind-dns,usershares,log,share,share2}
	chmod 700 "$d/private"
	SMBD_DIR=$d
	export SMBD_DIR
	at_exit smbd_stop
	# Another test may take the port between the check and smbd's bind: try a few.
	for _ in 1 2 3 4 5; do
		port=$(_smbd_free_port) || { _smbd_die "no free TCP port found"; return 1; }
		_smbd_try "$d" "$port" "$@"
		rc=$?
		if [ $rc -eq 0 ]; then
			SMBD_PORT=$port
			export SMBD_PORT SMBD_PID
			return 0
		fi
		if [ $rc -ne 1 ] || ! grep -q "in use" "$d/log/smbd.stdout" 2>/dev/null; then
			break
		fi
	done
	smbd_stop
	_smbd_die "smbd did not start, see $d/log/smbd.stdout:"
	tail -5 "$d/log/smbd.stdout" >&2
	return 1
}

smbd_add_user() {
	local name=$1 pw=$2
	[ -n "${SMBD_DIR:-}" ] || { _smbd_die "smbd_add_user: call smbd_start first"; return 1; }
	if ! getent passwd "$name" >/dev/null; then
		useradd -M -d /nonexistent -s /usr/sbin/nologin "$name" ||
			{ _smbd_die "cannot create the unix user $name"; return 1; }
		# stop smbd first: userdel refuses a user that still owns a process (smbd's
		# per-connection child runs as the user), and cleanups run newest first
		at_exit "smbd_stop; userdel -f '$name'"
	fi
	chown "$name" "$SMBD_DIR/share" "$SMBD_DIR/share2" || return 1
	if ! runuser -u "$name" -- test -w "$SMBD_DIR/share"; then
		_smbd_die "$name cannot reach $SMBD_DIR/share: make its parents searchable (chmod o+x)"
		return 1
	fi
	# The first call prints "tdbsam_open: Converting version 0.0 database": harmless.
	printf '%s\n%s\n' "$pw" "$pw" | smbpasswd -c "$SMBD_DIR/smb.conf" -s -a "$name" \
		>>"$SMBD_DIR/log/smbpasswd.out" 2>&1 ||
		{ _smbd_die "smbpasswd failed, see $SMBD_DIR/log/smbpasswd.out"; return 1; }
}

# _smbd_sessions: the processes serving connections (smbd's helpers have names of their own).
_smbd_sessions() {
	[ -n "${SMBD_PID:-}" ] || return 0
	ps -o pid=,comm= --ppid "$SMBD_PID" 2>/dev/null | awk '$2 == "smbd" {print $1}'
}
smbd_kill_sessions() { local p; for p in $(_smbd_sessions); do kill -KILL "$p"; done; }
smbd_stop_sessions() { local p; for p in $(_smbd_sessions); do kill -STOP "$p"; done; }
smbd_cont_sessions() { local p; for p in $(_smbd_sessions); do kill -CONT "$p"; done; }

smbd_stop() {
	local pid=${SMBD_PID:-} kids k
	[ -n "$pid" ] || return 0
	SMBD_PID=
	# The children too (stopped ones get SIGCONT so they can die): they can outlive the parent.
	kids=$(pgrep -P "$pid" 2>/dev/null)
	kill "$pid" 2>/dev/null
	for k in $kids; do kill "$k" 2>/dev/null; kill -CONT "$k" 2>/dev/null; done
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	for k in "$pid" $kids; do kill -9 "$k" 2>/dev/null; done
	wait "$pid" 2>/dev/null
	return 0
}
