# shellcheck shell=bash
# tmux.sh - drive a full-screen program in a real terminal (tmux), as an operator would.
#
#   . tests/lib/tap.sh; . tests/lib/tmux.sh
#   tmux_start W H CMD...     start CMD in a W x H terminal on a private tmux server (stopped at exit)
#   tmux_keys KEY...          send keys (tmux names: Enter Escape Down Up Left Right Tab BSpace Space,
#                             or text with -l: tmux_keys -l 'some text')
#   tmux_wait PATTERN [SECS]  wait until the screen matches the extended regex (default 20 s);
#                             1 and the screen on stderr if it never does
#   tmux_screen               print the screen now
#   tmux_resize W H           resize the terminal
#   tmux_alive                0 while the program runs
#   tmux_stop                 kill the server
# The screen is also kept in $TMUX_LAST after tmux_wait.  The server's socket is private
# (-L cctest-PID), so the user's own tmux sessions are never touched.
TMUX_SOCK=cctest-$$
TMUX_LAST=

_tmux() { tmux -L "$TMUX_SOCK" -f /dev/null "$@"; }

tmux_start() {
	local w=$1 h=$2
	shift 2
	_tmux kill-server 2>/dev/null
	# remain-on-exit keeps the last screen (an error message) readable after the program ends
	_tmux new-session -d -s t -x "$w" -y "$h" "$(printf '%q ' "$@")" || return 1
	_tmux set-option -t t remain-on-exit on >/dev/null
	at_exit "tmux -L '$TMUX_SOCK' kill-server"
}

tmux_keys() { _tmux send-keys -t t "$@"; }
tmux_screen() { _tmux capture-pane -p -t t; }
tmux_resize() { _tmux resize-window -t t -x "$1" -y "$2"; }
tmux_alive() { [ "$(_tmux display-message -p -t t '#{pane_dead}' 2>/dev/null)" = 0 ]; }
tmux_stop() { _tmux kill-server 2>/dev/null; }

tmux_wait() {
	local pat=$1 secs=${2:-20} end
	end=$(($(date +%s%N) / 1000000 + secs * 1000))
	while :; do
		TMUX_LAST=$(tmux_screen 2>/dev/null)
		grep -Eq -- "$pat" <<<"$TMUX_LAST" && return 0
		[ $(($(date +%s%N) / 1000000)) -ge $end ] && break
		sleep 0.1
	done
	echo "# tmux_wait: /$pat/ not on the screen after ${secs}s; the screen:" >&2
	sed 's/^/#   | /' <<<"$TMUX_LAST" >&2
	return 1
}
