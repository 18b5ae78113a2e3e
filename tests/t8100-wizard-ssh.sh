#!/bin/bash
# t8100-wizard-ssh: the wizard saving the demo disk to a real sshd on 127.0.0.1: the SSH form,
# the new host key question, a wrong password that is corrected on the same screen, and the
# save over SFTP.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/tmux.sh"
. "$TOP/tests/lib/sshd.sh"
make_scratch; D=$SCRATCH
CC=$CLONECAST
DEMO=$D/demo
U=cctest-t8100
PW='right pw 8100'
export HOME=$D/home LANG=C.UTF-8 LC_ALL= LANGUAGE= TERM=xterm-256color
mkdir -p "$HOME"
clear_field() { tmux_keys End; for _ in $(seq 40); do tmux_keys BSpace; done; }

sshd_start "$D/sshd" || { echo "Bail out! cannot start sshd"; exit 1; }
sshd_user_add $U "$PW"
install -d -o $U "/home/$U/images"

tmux_start 80 25 "$CC" --demo --demo-dir "$DEMO" --lang en
tmux_wait "What to do" 60; tmux_keys Enter
tmux_wait "Image repository"; tmux_keys Home Enter
tmux_wait "SSH server"; ok $? "the SSH server form"
ok $(grep -q "should not be root" <<<"$TMUX_LAST" && echo 0 || echo 1) "  says the user should not be root"
tmux_keys -l 127.0.0.1; tmux_keys Down
clear_field; tmux_keys -l "$SSHD_PORT"; tmux_keys Down
clear_field; tmux_keys -l "/home/$U/images"; tmux_keys Down
tmux_keys -l $U; tmux_keys Down
tmux_keys -l wrong-password; tmux_keys Enter
tmux_wait "New SSH server"; ok $? "an unknown host key is shown for a yes/no"
ok $(grep -q "$(ssh-keygen -lf "$SSHD_HOSTKEY_PUB" | awk '{print $2}' | cut -c1-30)" <<<"$TMUX_LAST" && echo 0 || echo 1) \
	"  with its SHA256 fingerprint"
tmux_keys Left Enter
tmux_wait "wrong password" 30; ok $? "a wrong password: says so"
tmux_keys Enter
tmux_wait "SSH server"; ok $? "  back on the same form"
ok $(grep -q "127.0.0.1" <<<"$TMUX_LAST" && grep -q "/home/$U/images" <<<"$TMUX_LAST" && echo 0 || echo 1) \
	"  with what was typed kept"
clear_field; tmux_keys -l "$PW"; tmux_keys Enter
tmux_wait "Source disk" 30; ok $? "the corrected password (cursor was on it) connects"
ok $(grep -q "127.0.0.1\]:$SSHD_PORT" "$HOME/.ssh/known_hosts" 2>/dev/null && echo 0 || echo 1) \
	"  the accepted host key is in ~/.ssh/known_hosts"
tmux_keys Enter
tmux_wait "Image name"; clear_field; tmux_keys -l over-ssh; tmux_keys Enter
tmux_wait "Compression"; tmux_keys Enter
tmux_wait "Summary"; ok $(grep -q "ssh://$U@127.0.0.1:$SSHD_PORT/home/$U/images" <<<"$TMUX_LAST" && echo 0 || echo 1) \
	"the summary names the SSH repository"
ok $(grep -qF "$PW" <<<"$TMUX_LAST" && echo 1 || echo 0) "  and not the password"
tmux_keys Enter
tmux_wait "Start again" 120; ok $(grep -q "saved and is complete" <<<"$TMUX_LAST" && echo 0 || echo 1) \
	"saved over SSH"
img=/home/$U/images/over-ssh
check "  the image on the server is complete" sh -c "cd '$img' && sha256sum --quiet -c SHA256SUMS && test -e clonezilla-img"
ok $(grep -rqF "$PW" "$img" && echo 1 || echo 0) "  the password is in no file of the image"
tmux_stop
done_testing
