#!/bin/bash
# t200-pxe-restore: the netboot folder (make netboot) served by QEMU's built-in TFTP server and
# PXE ROM (-boot n, -netdev user,tftp=...,bootfile=pxelinux.0), with a boot menu entry the way
# an admin adds one for unattended mass restores: language, DHCP, the repository, the command
# (restoredisk -b IMAGE vda) and power off afterwards, all on the kernel command line; the
# password and the server's host key come from files on the TFTP server, not from the command
# line.  Nobody touches a key: the machine boots, restores the image from a real sshd on this
# machine (10.0.2.2 in the guest is 127.0.0.1 here) and powers itself off.  The blank disk then
# equals the disk the image was saved from.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/tmux.sh"
. "$TOP/tests/lib/sshd.sh"
. "$TOP/tests/lib/diskimg.sh"
. "$TOP/tests/lib/qemu.sh"
NETBOOT=${LIVE_NETBOOT:-$TOP/clonecast-netboot}
[ -r "$NETBOOT/pxelinux.0" ] || { echo "Bail out! no $NETBOOT (make netboot)"; exit 1; }
make_scratch; D=$SCRATCH
CC=$CLONECAST
U=cctest-live200
PW='pxe pw 200'

diskimg_make "$D/src.img" gpt 200 || { echo "Bail out! cannot make the source disk"; exit 1; }
diskimg_manifest "$D/src.img" "$D/src.manifest"
truncate -s "$(stat -c %s "$D/src.img")" "$D/tgt.img"

sshd_start "$D/sshd" || { echo "Bail out! cannot start sshd"; exit 1; }
sshd_user_add $U "$PW"
install -d -o $U "/home/$U/images"
check "the image, saved here" "$CC" savedisk -q -b -r "/home/$U/images" lab-pxe "$D/src.img"
chown -R $U "/home/$U/images"

# the TFTP server's folder: the netboot folder, a menu entry, the password and the host key
cp -r "$NETBOOT" "$D/tftp"
printf '%s\n' "$PW" >"$D/tftp/clonecast/lab-password"
echo "[10.0.2.2]:$SSHD_PORT $(cut -d' ' -f1,2 "$SSHD_HOSTKEY_PUB")" >"$D/tftp/clonecast/known_hosts"
cat >"$D/tftp/pxelinux.cfg/default" <<CFG
serial 0 115200
default restore
prompt 0
timeout 1
label restore
  kernel clonecast/vmlinuz
  append initrd=clonecast/initrd.img console=ttyS0,115200n8 quiet clonecast.lang=en clonecast.net=dhcp clonecast.repo=ssh://$U@10.0.2.2:$SSHD_PORT/home/$U/images clonecast.password=tftp:///clonecast/lab-password clonecast.known_hosts=tftp:///clonecast/known_hosts clonecast.run="restoredisk -b lab-pxe vda" clonecast.after=poweroff
  ipappend 3
CFG

# shellcheck disable=SC2046
qemu_start "$D/serial.log" -boot n $(qemu_disk "$D/tgt.img" TGT0200) \
	$(qemu_net "tftp=$D/tftp,bootfile=pxelinux.0")
tmux_wait "Running: clonecast restoredisk" 240; ok $? "netbooted: the command of the menu entry runs"
diag "QEMU start to the command: $(qemu_elapsed) s"
ok $(grep -q -- "--password-file /run/clonecast/password --known-hosts /run/clonecast/known_hosts" "$D/serial.log" && echo 0 || echo 1) \
	"  with the password and host key files fetched from the boot server"
tmux_wait "finished successfully|failed" 600
ok $(grep -q "finished successfully" <<<"$TMUX_LAST" && echo 0 || echo 1) "the unattended restore finished"
diag "restored at $(qemu_elapsed) s"
ok $(grep -q "Powering off in" <<<"$TMUX_LAST" && echo 0 || echo 1) "  then the power-off countdown"
qemu_wait_end 60; ok $? "  and the machine powers itself off"
ok $(grep -qF "$PW" "$D/serial.log" && echo 1 || echo 0) "the password never appeared on the console"

diskimg_manifest "$D/tgt.img" "$D/tgt.manifest"
check "the restored disk equals the source: GPT, ids, every file" cmp "$D/src.manifest" "$D/tgt.manifest"
[ $_tap_fail -eq 0 ] || diff "$D/src.manifest" "$D/tgt.manifest" | head -20 | sed 's/^/# /'
check "  and its filesystems are clean" diskimg_fsck "$D/tgt.img"
[ $_tap_fail -eq 0 ] || tail -c 4000 "$D/serial.log" | sed 's/^/# serial: /'
done_testing
