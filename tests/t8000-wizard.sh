#!/bin/bash
# t8000-wizard: the real wizard (clonecast --demo) driven in a real terminal (tmux, 80x25), as
# an operator would: a full save and a full restore through every screen, the language switch,
# Back, a wrong SSH password corrected on the same screen, cancel during the progress screen,
# a resize, monochrome, --lang.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/diskimg.sh"
. "$TOP/tests/lib/tmux.sh"
make_scratch; D=$SCRATCH
CC=$CLONECAST
DEMO=$D/demo
export HOME=$D/home LANG=C.UTF-8 LC_ALL= LANGUAGE= TERM=xterm-256color
mkdir -p "$HOME"
tr() { TEXTDOMAINDIR=$TOP/build/locale LANGUAGE=$1 LC_ALL=C.UTF-8 gettext clonecast "$2"; }

wiz() { tmux_start 80 25 "$CC" --demo --demo-dir "$DEMO" "$@"; }
clear_field() { tmux_keys End; for _ in $(seq 40); do tmux_keys BSpace; done; }

# --- a full save through every screen ------------------------------------------------------
wiz
tmux_wait "Language" 60; ok $? "the wizard starts with the language screen (demo prepared)"
ok $([ -s "$DEMO/demo-disk.img" ] && [ -d "$DEMO/repo" ] && echo 0 || echo 1) "  demo disk and repository made"
tmux_keys Enter
tmux_wait "What to do"; ok $? "Enter: English, then 'What to do'"
tmux_keys Escape
tmux_wait "Language"; ok $? "Esc (Back) returns to the language screen"
tmux_keys Enter; tmux_wait "What to do" >/dev/null
tmux_keys Enter
tmux_wait "Image repository"; ok $? "Enter: save a whole disk, then the repository screen"
ok $(grep -q "demo folder" <<<"$TMUX_LAST" && echo 0 || echo 1) "  the demo folder is offered"
tmux_keys Enter
tmux_wait "Folder"; ok $? "  the folder, to confirm"
tmux_keys Enter
tmux_wait "Source disk"; ok $? "then the source disk"
ok $(grep -q "demo-disk.img" <<<"$TMUX_LAST" && grep -q "ntfs" <<<"$TMUX_LAST" && echo 0 || echo 1) \
	"  the demo disk with its filesystems"
tmux_keys Enter
tmux_wait "Image name"; ok $? "then the image name"
ok $(grep -Eq "[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-img" <<<"$TMUX_LAST" && echo 0 || echo 1) \
	"  with Clonezilla's default name YYYY-MM-DD-HH-img"
clear_field; tmux_keys -l "lab-master"; tmux_keys Enter
tmux_wait "Compression"; ok $? "then the compression"
ok $(grep -q "zstd" <<<"$TMUX_LAST" && echo 0 || echo 1) "  zstd offered first"
tmux_keys Enter
tmux_wait "Summary"; ok $? "then the summary"
ok $(grep -q "clonecast savedisk -b -r" <<<"$TMUX_LAST" && echo 0 || echo 1) "  with the equivalent command line"
cmdline=$(grep -o "clonecast savedisk.*" <<<"$TMUX_LAST" | head -1)
tmux_keys Enter
tmux_wait "Start again" 120; ok $? "Enter starts it; the result screen comes"
ok $(grep -q "saved and is complete" <<<"$TMUX_LAST" && echo 0 || echo 1) "  success, with time, size and rate"
ok $(grep -Eq "Average rate|ratio" <<<"$TMUX_LAST" && echo 0 || echo 1) "  rate and ratio shown"
check "the image is complete and good" "$CC" check -q -r "$DEMO/repo" lab-master
ok $(grep -qF "savedisk -b -r" "$DEMO/repo/lab-master/Info-saved-by-cmd.txt" && echo 0 || echo 1) \
	"  Info-saved-by-cmd.txt holds the command line"
# --- restore, from the result screen: start again -------------------------------------------
tmux_keys Enter
tmux_wait "What to do"; ok $? "'Start again' returns to 'What to do'"
tmux_keys Down Down Enter
tmux_wait "Image repository"; tmux_keys Enter
tmux_wait "Folder"; tmux_keys Enter
tmux_wait "Target disk"; ok $? "restore: the target disk"
ok $(grep -q "demo-target.img" <<<"$TMUX_LAST" && echo 0 || echo 1) "  the blank demo target offered"
tmux_keys Enter
tmux_wait "Images"; ok $? "then the images of the repository"
ok $(grep -q "lab-master" <<<"$TMUX_LAST" && echo 0 || echo 1) "  lab-master listed with date and size"
tmux_keys Enter
tmux_wait "Summary"; tmux_keys Enter
tmux_wait "LAST WARNING"; ok $? "a second confirmation names the disk to overwrite"
ok $(grep -q "demo-target.img" <<<"$TMUX_LAST" && echo 0 || echo 1) "  demo-target.img"
tmux_keys Enter
tmux_wait "Images"; ok $? "  its default is No: back to the images, nothing written"
ok $([ "$(du -k "$DEMO/demo-target.img" | cut -f1)" -lt 100 ] && echo 0 || echo 1) "  the target is still blank"
tmux_keys Enter; tmux_wait "Summary"; tmux_keys Enter
tmux_wait "LAST WARNING"; tmux_keys Left Enter
tmux_wait "Start again" 120; ok $? "Yes: restored"
ok $(grep -q "was restored" <<<"$TMUX_LAST" && echo 0 || echo 1) "  success"
tmux_keys Down Enter
sleep 0.5; ok $(tmux_alive && echo 1 || echo 0) "Quit ends the wizard"
diskimg_manifest "$DEMO/demo-disk.img" "$D/src.m" >/dev/null 2>&1
diskimg_manifest "$DEMO/demo-target.img" "$D/dst.m" >/dev/null 2>&1
check "every file of both partitions is identical on the target" cmp "$D/src.m" "$D/dst.m"
ok $([ "$(wc -l <"$D/src.m")" -gt 5 ] && echo 0 || echo 1) "  (the manifest lists the files)"

# --- partitions: the checklist ----------------------------------------------------------
wiz --lang en
tmux_wait "What to do" 30; tmux_keys Down Enter
tmux_wait "Image repository"; tmux_keys Enter; tmux_wait "Folder"; tmux_keys Enter
tmux_wait "Source disk"; tmux_keys Enter
tmux_wait "Partitions"; ok $? "save partitions: a checklist of the disk's partitions"
ok $(grep -q "ntfs" <<<"$TMUX_LAST" && grep -q "ext4" <<<"$TMUX_LAST" && echo 0 || echo 1) "  with their filesystems"
tmux_keys Enter
tmux_wait "Nothing is selected"; ok $? "  OK with nothing marked: says to mark one"
tmux_keys Enter; tmux_wait "Partitions"; tmux_keys Down Space; tmux_keys Enter
tmux_wait "Image name"; clear_field; tmux_keys -l linux-only; tmux_keys Enter
tmux_wait "Compression"; tmux_keys Enter; tmux_wait "Summary"; tmux_keys Enter
tmux_wait "Start again" 120; ok $(grep -q "saved and is complete" <<<"$TMUX_LAST" && echo 0 || echo 1) "  saved"
is "$(cat "$DEMO/repo/linux-only/parts" 2>/dev/null)" "sda2" "  the image holds sda2 only, named as Clonezilla names it"
ok $([ -s "$DEMO/repo/linux-only/sda2.ext4-ptcl-img.zst" ] && echo 0 || echo 1) "  sda2.ext4-ptcl-img.zst"
tmux_stop

# --- language ---------------------------------------------------------------------------
de=$(tr de "What to do")
ok $([ -n "$de" ] && [ "$de" != "What to do" ] && echo 0 || echo 1) "the wizard's texts are translated ('$de')"
wiz
tmux_wait "Language" 30; tmux_keys Down Enter
tmux_wait "$de"; ok $? "Deutsch: the next screen is German ('$de')"
tmux_keys Enter; tmux_wait "$(tr de 'Image repository')"; ok $? "  and the following ones"
# an engine message in German too: a folder that does not exist
tmux_keys Enter; tmux_wait "$(tr de 'The folder that holds the images (or will).' | cut -c1-20)"
clear_field; tmux_keys -l /nonexistent; tmux_keys Enter
msg=$(tr de "image repository %s does not exist: create the directory or give another one")
tmux_wait "$(tr de 'Cannot use this repository')"
word=$(sed 's/%s.*//; s/ *$//' <<<"$msg") # the words before the path
[ -n "$word" ] || word=$(sed 's/.*%s *//' <<<"$msg" | awk '{print $1 " " $2}')
ok $([ "$msg" != "image repository %s does not exist: create the directory or give another one" ] &&
	grep -qF "$word" <<<"$TMUX_LAST" && echo 0 || echo 1) "  and the engine's messages ('$word ...')"
tmux_stop
wiz --lang fr
tmux_wait "$(tr fr 'What to do')" 30; ok $? "--lang fr: French, and the language screen is skipped"
tmux_stop
LANGUAGE= LANG=es_ES.UTF-8 tmux_start 80 25 env LANG=es_ES.UTF-8 "$CC" --demo --demo-dir "$DEMO"
tmux_wait "Language" 30; tmux_keys Enter
tmux_wait "$(tr es 'What to do')"; ok $? "LANG=es_ES.UTF-8: Spanish preselected"
tmux_stop

# --- resize, monochrome --------------------------------------------------------------------
wiz
tmux_wait "Language" 30
tmux_resize 120 40; sleep 0.3
tmux_wait "Language"; ok $? "resized to 120x40: redrawn"
tmux_resize 80 24; sleep 0.3
tmux_wait "Language"; ok $? "back to 80x24: redrawn"
tmux_stop
tmux_start 80 25 env TERM=vt100 NO_COLOR=1 "$CC" --demo --demo-dir "$DEMO"
tmux_wait "Language" 30; ok $? "monochrome terminal (vt100, NO_COLOR): works"
tmux_stop

# --- cancel during the progress screen -----------------------------------------------------
wiz --lang en
tmux_wait "What to do" 30; tmux_keys Enter
tmux_wait "Image repository"; tmux_keys Enter; tmux_wait "Folder"; tmux_keys Enter
tmux_wait "Source disk"; tmux_keys Enter
tmux_wait "Image name"; clear_field; tmux_keys -l "cancelled"; tmux_keys Enter
tmux_wait "Compression"; tmux_keys Down Down Down Enter
tmux_wait "Expert"; ok $? "the expert settings screen"
clear_field; tmux_keys -l 9; tmux_keys Down; clear_field; tmux_keys -l 1; tmux_keys Enter Enter Enter
tmux_wait "Compression"; tmux_keys Down Enter   # gzip, level 9, one thread: slow enough
tmux_wait "Summary"; ok $(grep -q "gzip:9 -j 1" <<<"$TMUX_LAST" && echo 0 || echo 1) "  level and threads in the command line"
tmux_keys Enter
tmux_wait "Esc: cancel" 30; ok $? "the progress screen"
ok $(grep -Eq "Partition|Preparing" <<<"$TMUX_LAST" && grep -q "Rate" <<<"$TMUX_LAST" && grep -q "Remaining" <<<"$TMUX_LAST" && echo 0 || echo 1) \
	"  partition, rate and remaining time shown"
tmux_keys Escape
tmux_wait "Cancel\?"; tmux_keys Left Enter
tmux_wait "Start again" 60; ok $(grep -q "Cancelled" <<<"$TMUX_LAST" && echo 0 || echo 1) "Esc, Yes: cancelled"
ok $([ ! -e "$DEMO/repo/cancelled" ] && [ ! -e "$DEMO/repo/cancelled.partial" ] && echo 0 || echo 1) \
	"  no image left behind, not even a partial one"
tmux_stop

check "the man page clonecast(8) renders without warnings" \
	sh -c "LC_ALL=C.UTF-8 groff -man -ww -z '$TOP/cli/clonecast.8' 2>&1 | grep . && exit 1 || exit 0"

# --- command line ----------------------------------------------------------------------------
check "saveparts of FILE#N (a partition of an image file) from the command line" \
	"$CC" saveparts -q -b -r "$DEMO/repo" cli-parts "$DEMO/demo-disk.img#1"
is "$(cat "$DEMO/repo/cli-parts/parts" 2>/dev/null)" "sda1" "  named sda1"
check_fails "  a partition that does not exist: says so" "has no partition 9" \
	"$CC" saveparts -q -b -r "$DEMO/repo" cli-9 "$DEMO/demo-disk.img#9"
out=$("$CC" --help); ok $(grep -q -- "--demo" <<<"$out" && grep -q "savedisk" <<<"$out" && echo 0 || echo 1) \
	"--help describes the wizard and the commands"
out=$("$CC" --demo --demo-dir "$DEMO" </dev/null 2>&1); rc=$?
ok $([ $rc -ne 0 ] && grep -q "needs a terminal" <<<"$out" && echo 0 || echo 1) "without a terminal: says so"
out=$("$CC" --demo --demo-dir "$DEMO" --lang de </dev/null 2>&1)
want=$(tr de "clonecast: the wizard needs a terminal; for scripts use the commands (clonecast --help-commands)
" | head -1 | cut -c1-30)
ok $([ -n "$want" ] && grep -qF "$want" <<<"$out" && ! grep -q "needs a terminal" <<<"$out" && echo 0 || echo 1) \
	"  in the language --lang names"

done_testing
