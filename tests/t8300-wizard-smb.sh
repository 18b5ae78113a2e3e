#!/bin/bash
# t8300-wizard-smb: the wizard saving the demo disk to a real smbd on 127.0.0.1 through the Samba
# form (server, port, share, folder with a space, user, password, SMB version), then restoring
# it from there onto the demo's target disk.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/diskimg.sh"
. "$TOP/tests/lib/tmux.sh"
. "$TOP/tests/lib/smbd.sh"
make_scratch; D=$SCRATCH
chmod 755 "$D"
CC=$CLONECAST
DEMO=$D/demo
U=cctest-t8300
PW='smb pw 8300'
export HOME=$D/home LANG=C.UTF-8 LC_ALL= LANGUAGE=
mkdir -p "$HOME"
clear_field() { tmux_keys End; for _ in $(seq 40); do tmux_keys BSpace; done; }

if ! why=$(smbd_available); then skip "smbd cannot run here: $why"; done_testing; exit; fi
smbd_start "$D/smbd" || { echo "Bail out! cannot start smbd"; exit 1; }
smbd_add_user $U "$PW"
install -d -o $U "$SMBD_DIR/share2/term 1"

# fill the Samba form: server, port, share, folder, domain (empty), user, password, version
smb_form() { # PASSWORD
	tmux_wait "Samba server" || return 1
	tmux_keys -l 127.0.0.1; tmux_keys Down
	clear_field; tmux_keys -l "$SMBD_PORT"; tmux_keys Down
	tmux_keys -l "Lab Images"; tmux_keys Down
	tmux_keys -l "term 1"; tmux_keys Down Down
	tmux_keys -l $U; tmux_keys Down
	tmux_keys -l "$1"; tmux_keys Down
	clear_field; tmux_keys -l 3; tmux_keys Enter
}

tmux_start 80 25 "$CC" --demo --demo-dir "$DEMO" --lang en
tmux_wait "What to do" 60; tmux_keys Enter
tmux_wait "Image repository"; tmux_keys Home Down Enter
smb_form "$PW"; ok $? "the Samba form"
tmux_wait "Source disk" 30; ok $? "  the share (with spaces) connects with SMB3"
tmux_keys Enter
tmux_wait "Image name"; clear_field; tmux_keys -l over-smb; tmux_keys Enter
tmux_wait "Compression"; tmux_keys Enter
tmux_wait "Summary"
ok $(grep -q "smb://$U@127.0.0.1:$SMBD_PORT/Lab%20Images/term%201" <<<"$TMUX_LAST" && echo 0 || echo 1) \
	"the summary's command has the share as a URL"
flat=$(tr '\n│' '  ' <<<"$TMUX_LAST" | tr -s ' ') # the command wraps over lines
ok $(grep -q -- "--smb-protocol 3 -z zstd over-smb" <<<"$flat" && echo 0 || echo 1) "  and the SMB version"
tmux_keys Enter
tmux_wait "Start again" 120; ok $(grep -q "saved and is complete" <<<"$TMUX_LAST" && echo 0 || echo 1) "saved over SMB"
img="$SMBD_DIR/share2/term 1/over-smb"
check "  the image on the share is complete" sh -c "cd '$img' && sha256sum --quiet -c SHA256SUMS && test -e clonezilla-img"
ok $(grep -rqF "$PW" "$img" && echo 1 || echo 0) "  the password is in no file of the image"
# restore it from the share: start again, the repository is kept
tmux_keys Enter
tmux_wait "What to do"; tmux_keys Down Down Enter
tmux_wait "Image repository"; tmux_keys Enter
tmux_wait "Samba server"; ok $(grep -q "Lab Images" <<<"$TMUX_LAST" && echo 0 || echo 1) "start again: the form keeps the share"
tmux_keys Enter  # the password is kept too: Enter on the first field moves on
for _ in 1 2 3 4 5 6 7; do tmux_keys Enter; done
tmux_wait "Target disk" 30; ok $? "  connects again"
tmux_keys Enter; tmux_wait "Images"; tmux_keys Enter
tmux_wait "Summary"; tmux_keys Enter; tmux_wait "LAST WARNING"; tmux_keys Left Enter
tmux_wait "Start again" 120; ok $(grep -q "was restored" <<<"$TMUX_LAST" && echo 0 || echo 1) "restored from SMB"
tmux_stop
diskimg_manifest "$DEMO/demo-disk.img" "$D/src.m" >/dev/null 2>&1
diskimg_manifest "$DEMO/demo-target.img" "$D/dst.m" >/dev/null 2>&1
check "  every file identical on the target" cmp "$D/src.m" "$D/dst.m"
done_testing
