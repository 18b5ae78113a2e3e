#!/bin/bash
# t8400-wizard-mcast: multicast in the real wizard (clonecast --demo in tmux, 80x25), between
# network namespaces made here (tests/lib/mcnet.sh: a bridge, a sender, a receiver; 10.77.0.x
# only inside them) with the real udp-sender/udp-receiver: the client's "Restore a whole disk
# from multicast" (target disk, summary with the command line, last warning, the waiting
# screen, progress, result) against `clonecast mcast-serve`; the server's screens (image,
# clients and time, the waiting screen with the client that joined, Enter starts now, the
# clients' results) against `clonecast restoredisk --multicast`. Both disks end identical.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/diskimg.sh"
. "$TOP/tests/lib/tmux.sh"
. "$TOP/tests/lib/mcnet.sh"
make_scratch; D=$SCRATCH
CC=$CLONECAST
DEMO=$D/demo
export HOME=$D/home LANG=C.UTF-8 LC_ALL='' LANGUAGE='' TERM=xterm-256color
mkdir -p "$HOME"

if [ "$(id -u)" -ne 0 ] || ! command -v udp-sender >/dev/null || ! command -v tmux >/dev/null; then
	skip "needs root, udpcast and tmux (tests/install-deps.sh installs them)"
	done_testing; exit
fi
NS=cc-wm-$$
at_exit "mcnet_down $NS"
if ! mcnet_up "$NS" 1; then
	skip "network namespaces are not available here"
	done_testing; exit
fi
has() { grep -Eq -- "$1" <<<"$TMUX_LAST"; }
wiz_in() { tmux_start 80 25 ip netns exec "$NS-$1" "$CC" --demo --demo-dir "$DEMO" --lang en; }
# rc PID: its exit status in RC
rc() { wait "$1"; RC=$?; }

# ---- the client: "Restore a whole disk from multicast" --------------------------------------
wiz_in r1
tmux_wait "What to do" 60; ok $? "the wizard (demo) starts in the receiver's namespace"
check "the demo disk saved to the demo repository (the image to send)" \
	"$CC" savedisk -q -b -r "$DEMO/repo" lab "$DEMO/demo-disk.img"
ok "$(has "Restore a whole disk from multicast"; echo $?)" "  'Restore a whole disk from multicast' is offered"
tmux_keys Down Down Down Down Down Enter
tmux_wait "Target disk"; ok $? "it asks for the target disk (no repository: the sender has the image)"
tmux_keys Enter
tmux_wait "Summary"; ok $? "then the summary"
ok "$(has "clonecast restoredisk -b --multicast" && has "demo-target.img"; echo $?)" \
	"  with the command line: restoredisk -b --multicast DISK"
tmux_keys Enter
tmux_wait "LAST WARNING"; ok $? "the last warning names the disk"
ok "$(has "demo-target.img"; echo $?)" "  demo-target.img"
tmux_keys Left Enter
tmux_wait "Waiting for a multicast sender" 20; ok $? "Yes: it waits for a sender"
ok "$(has "Nothing is written before the sender"; echo $?)" "  saying nothing is written yet"
ok "$([ "$(du -k "$DEMO/demo-target.img" | cut -f1)" -lt 100 ]; echo $?)" "  and the target is still blank"
ip netns exec "$NS-s" timeout -k 5 120 "$CC" mcast-serve -b -r "$DEMO/repo" --clients 1 \
	--progress plain lab >"$D/serve.log" 2>&1 &
SPID=$!
at_exit "kill $SPID"
tmux_wait "Start again" 90; ok $? "the sender starts: restored, the result screen comes"
ok "$(has "was restored"; echo $?)" "  success" || tmux_screen | sed 's/^/#   | /'
rc $SPID; is "$RC" 0 "the sender says the client finished (exit 0)"
grep -q "10.77.0.11 .*finished" "$D/serve.log"; ok $? "  10.77.0.11 finished"
diskimg_manifest "$DEMO/demo-disk.img" "$D/src.m" >/dev/null 2>&1
diskimg_manifest "$DEMO/demo-target.img" "$D/dst.m" >/dev/null 2>&1
cmp -s "$D/src.m" "$D/dst.m"; ok $? "the target is identical to the demo disk (table, files, ids)"
tmux_keys Down Enter
sleep 0.5; ok "$(tmux_alive && echo 1 || echo 0)" "Quit ends the wizard"
tmux_stop

# ---- the server: "Send an image to many computers" -------------------------------------------
wiz_in s
tmux_wait "What to do" 60
tmux_keys Down Down Down Down Down Down Enter
tmux_wait "Image repository"; ok $? "server: the repository first"
tmux_keys Enter; tmux_wait "Folder"; tmux_keys Enter
tmux_wait "Images"; ok $? "  then the image to send"
ok "$(has "lab"; echo $?)" "  lab listed"
tmux_keys Enter
tmux_wait "Multicast"; ok $? "  then how many clients and how long to wait"
ok "$(has "300"; echo $?)" "  at most 300 s after the first client by default"
tmux_keys Enter Enter # the first field, then the last one: OK
tmux_wait "Summary"; ok $? "  then the summary"
ok "$(has "clonecast mcast-serve -b -r" && has "--max-wait( |$)" && has "300 lab|--max-wait 300"; echo $?)" \
	"  with the command line: mcast-serve -b -r REPO --max-wait 300 lab"
tmux_keys Enter
tmux_wait "waiting for clients, 0 joined" 20; ok $? "the waiting screen: no client yet"
rm -f "$D/t.img"; truncate -s "$(stat -c %s "$DEMO/demo-disk.img")" "$D/t.img"
ip netns exec "$NS-r1" timeout -k 5 120 "$CC" restoredisk -b --multicast --timeout 60 \
	--progress plain "$D/t.img" >"$D/client.log" 2>&1 &
CPID=$!
at_exit "kill $CPID"
tmux_wait "1 joined" 30; ok $? "  a client joins: 1 joined"
ok "$(has "10.77.0.11"; echo $?)" "  its address listed"
ok "$(has "Enter: start now"; echo $?)" "  Enter offered to start now"
ok "$(has "Starts by itself in [0-9]:[0-9]{2}"; echo $?)" "  and when it starts by itself"
tmux_keys Enter
tmux_wait "Start again" 90; ok $? "Enter: it starts at once; the result screen comes"
ok "$(has "The image was sent"; echo $?)" "  the image was sent" || tmux_screen | sed 's/^/#   | /'
ok "$(has "1 of 1 client\(s\) received all of it"; echo $?)" "  1 of 1 client received all of it"
ok "$(has "10.77.0.11 +finished"; echo $?)" "  10.77.0.11 finished"
rc $CPID; is "$RC" 0 "the client restored (exit 0)"
diskimg_manifest "$D/t.img" "$D/t.m" >/dev/null 2>&1
cmp -s "$D/src.m" "$D/t.m"; ok $? "  its disk is identical to the demo disk"
tmux_keys Down Enter
tmux_stop

done_testing
