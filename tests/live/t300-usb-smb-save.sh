#!/bin/bash
# t300-usb-smb-save: clonecast-live.iso written to a (virtual) USB stick, the way an admin
# prepares a stick for a lab: a copy of the ISO with a password file in its clonecast/ folder and
# the default menu entry given an unattended save (xorriso, as the medium's README says).  QEMU
# boots from the USB stick; the PC saves its disk to a real Samba server on this machine (the
# guest's 10.0.2.2) and powers off.  This proves the Samba modules libsmbclient loads at run
# time (not listed by ldd) are on the medium.  The image is then restored here from the share's
# folder and compared with the source disk.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/tmux.sh"
. "$TOP/tests/lib/smbd.sh"
. "$TOP/tests/lib/diskimg.sh"
. "$TOP/tests/lib/qemu.sh"
ISO=${LIVE_ISO:-$TOP/clonecast-live.iso}
[ -r "$ISO" ] || { echo "Bail out! no $ISO (make live)"; exit 1; }
why=$(smbd_available) || { skip "$why"; done_testing; exit; }
make_scratch; D=$SCRATCH; chmod 755 "$D"
CC=$CLONECAST
U=cctest-live300
PW='smb pw 300'

diskimg_make "$D/src.img" mbr 300 || { echo "Bail out! cannot make the source disk"; exit 1; }
diskimg_manifest "$D/src.img" "$D/src.manifest"
smbd_start "$D/smbd" || { echo "Bail out! cannot start smbd"; exit 1; }
smbd_add_user $U "$PW"

# the site's stick: the password in /clonecast/, the default entry with the job
printf '%s\n' "$PW" >"$D/lab-password"
xorriso -osirrox on -indev "$ISO" -extract /isolinux/menu.cfg "$D/menu.cfg" 2>/dev/null
chmod u+w "$D/menu.cfg"
job="console=ttyS0,115200n8 clonecast.net=dhcp clonecast.repo=smb://$U@10.0.2.2:$SMBD_PORT/images"
job+=" clonecast.password=medium:/clonecast/lab-password clonecast.run=\"savedisk -b -z zstd lab-smb vda\""
job+=" clonecast.after=poweroff"
awk -v job="$job" '/^label live/ {in_live = 1} /^label / && !/^label live/ {in_live = 0}
	in_live && /^  append / {$0 = $0 " " job} {print}' "$D/menu.cfg" >"$D/menu-site.cfg"
check "the default entry has the job" grep -q "clonecast.run=\"savedisk" "$D/menu-site.cfg"
check "a site copy of the ISO, with the password file (xorriso)" \
	xorriso -indev "$ISO" -outdev "stdio:$D/stick.img" -map "$D/lab-password" /clonecast/lab-password \
	-map "$D/menu-site.cfg" /isolinux/menu.cfg -boot_image any replay
ok $(xorriso -indev "stdio:$D/stick.img" -find /clonecast -name lab-password 2>/dev/null | grep -q lab-password && echo 0 || echo 1) \
	"  the stick holds the password file"

# shellcheck disable=SC2046
qemu_start "$D/serial.log" $(qemu_disk "$D/src.img" SRC0300) $(qemu_net) \
	-drive "file=$D/stick.img,format=raw,if=none,id=stick" -device usb-ehci,id=ehci \
	-device usb-storage,bus=ehci.0,drive=stick,bootindex=0
tmux_wait "Running: clonecast savedisk" 240; ok $? "booted from the USB stick: the job runs"
diag "QEMU start to the command: $(qemu_elapsed) s"
ok $(grep -q -- "--password-file /run/clonecast/password" "$D/serial.log" && echo 0 || echo 1) \
	"  with the password file from the stick"
tmux_wait "finished successfully|failed" 600
ok $(grep -q "finished successfully" <<<"$TMUX_LAST" && echo 0 || echo 1) "the unattended save over SMB finished"
diag "saved at $(qemu_elapsed) s"
qemu_wait_end 60; ok $? "  and the machine powers itself off"
ok $(grep -qF "$PW" "$D/serial.log" && echo 1 || echo 0) "the password never appeared on the console"

img=$SMBD_DIR/share/lab-smb
check "the image on the share is complete (its SHA256SUMS)" \
	sh -c "cd '$img' && sha256sum --quiet -c SHA256SUMS && test -e clonezilla-img"
truncate -s "$(stat -c %s "$D/src.img")" "$D/tgt.img"
check "restored here from the share's folder" "$CC" restoredisk -q -b -r "$SMBD_DIR/share" lab-smb "$D/tgt.img"
diskimg_manifest "$D/tgt.img" "$D/tgt.manifest"
check "  equals the source disk: table, boot code, ids, every file" cmp "$D/src.manifest" "$D/tgt.manifest"
[ $_tap_fail -eq 0 ] || tail -c 4000 "$D/serial.log" | sed 's/^/# serial: /'
done_testing
