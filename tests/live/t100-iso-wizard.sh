#!/bin/bash
# t100-iso-wizard: clonecast-live.iso booted in QEMU (software emulation) from its CD drive with
# two virtual disks: a source disk (MBR: NTFS, ext4, FAT32 in an extended partition, swap, raw
# data; files in each) and a blank target of the same size.  Over the serial console, as an
# operator would: the boot menu's serial entry, the wizard's network screen (DHCP from QEMU),
# a save of the source disk to a real sshd on this machine (the guest's 10.0.2.2 is 127.0.0.1
# here; nothing else is contacted), a restore of that image onto the blank disk, power off.
# The restored disk is then compared with the source on this machine: partition table, boot
# code, filesystem ids and every file.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/tmux.sh"
. "$TOP/tests/lib/sshd.sh"
. "$TOP/tests/lib/diskimg.sh"
. "$TOP/tests/lib/qemu.sh"
ISO=${LIVE_ISO:-$TOP/clonecast-live.iso}
[ -r "$ISO" ] || { echo "Bail out! no $ISO (make live)"; exit 1; }
make_scratch; D=$SCRATCH
U=cctest-live100
PW='lab pw 100'
clear_field() { tmux_keys End; for _ in $(seq 40); do tmux_keys BSpace; done; }

diskimg_make "$D/src.img" mbr 100 || { echo "Bail out! cannot make the source disk"; exit 1; }
diskimg_manifest "$D/src.img" "$D/src.manifest"
truncate -s "$(stat -c %s "$D/src.img")" "$D/tgt.img"
sha_before=$(sha256sum <"$D/src.img")

sshd_start "$D/sshd" || { echo "Bail out! cannot start sshd"; exit 1; }
sshd_user_add $U "$PW"
install -d -o $U "/home/$U/images"

# shellcheck disable=SC2046
qemu_start "$D/serial.log" -boot d -cdrom "$ISO" $(qemu_disk "$D/src.img" SRC0100) \
	$(qemu_disk "$D/tgt.img" TGT0100) $(qemu_net)
tmux_wait "Automatic boot|Clonecast" 60; ok $? "the isolinux menu on the serial port"
tmux_keys Down Down Enter   # the serial-console entry
tmux_wait "Language" 120; ok $? "the wizard on the serial console, no login"
boot=$(qemu_elapsed)
diag "QEMU start to the wizard: $boot s (from the CD, the menu's serial entry chosen at once)"
ok $(awk -v t="$boot" 'BEGIN {exit !(t <= 60)}' && echo 0 || echo 1) "  within 60 s ($boot s)"

tmux_keys Enter
tmux_wait "What to do"; tmux_keys Enter                       # save a whole disk
tmux_wait "Image repository"; tmux_keys Home Enter            # an SSH server
tmux_wait "Which network card"; ok $? "the network screen comes before the SSH server"
tmux_keys Enter
tmux_wait "Automatic \(DHCP\)"; tmux_keys Enter
tmux_wait "has the address" 60; ok $? "DHCP from QEMU: the address is shown"
tmux_wait "10\.0\.2\.15"; ok $? "  10.0.2.15"
tmux_keys Enter
tmux_wait "Server \(name or address\)"; ok $? "the SSH server form"
clear_field; tmux_keys -l 10.0.2.2; tmux_keys Down
clear_field; tmux_keys -l "$SSHD_PORT"; tmux_keys Down
clear_field; tmux_keys -l "/home/$U/images"; tmux_keys Down
clear_field; tmux_keys -l $U; tmux_keys Down
clear_field; tmux_keys -l "$PW"; tmux_keys Enter
tmux_wait "New SSH server" 60; ok $? "the server's host key is shown for a yes/no"
tmux_keys Left Enter
tmux_wait "Source disk" 60; ok $? "connected: the source disk"
tmux_wait "vdb .*serial TGT0100"; ok $(grep -q "vda .*serial SRC0100" <<<"$TMUX_LAST" && echo 0 || echo 1) \
	"  both virtual disks listed, with their serial numbers"
tmux_keys Enter
tmux_wait "Image name"; clear_field; tmux_keys -l lab-live; tmux_keys Enter
tmux_wait "Compression"; tmux_keys Enter
tmux_wait "Source: /dev/vda \(176 MB, serial SRC0100\)"; ok $? "the summary names vda, by its serial number"
tmux_keys Enter
tmux_wait "saved and is complete|did not work|Cancelled" 600; ok $(grep -q "saved and is complete" <<<"$TMUX_LAST" && echo 0 || echo 1) \
	"saved from inside QEMU to the sshd on this machine"
diag "saved at $(qemu_elapsed) s"
img=/home/$U/images/lab-live
check "  the image on the server is complete (its SHA256SUMS)" \
	sh -c "cd '$img' && sha256sum --quiet -c SHA256SUMS && test -e clonezilla-img"
check "  and holds the NTFS and ext4 partitions" sh -c "ls '$img' | grep -q '^vda1.ntfs-ptcl-img' && ls '$img' | grep -q '^vda2.ext4-ptcl-img'"

tmux_wait "Start again"; tmux_keys Enter
tmux_wait "What to do"; tmux_keys Down Down Enter             # restore a whole disk
tmux_wait "Image repository"; tmux_keys Home Enter
tmux_wait "Server \(name or address\)|Which network card"
if grep -q "Which network card" <<<"$TMUX_LAST"; then   # the card that has an address is kept
	tmux_keys Enter; tmux_wait "Automatic \(DHCP\)|Server \(name or address\)"
	if grep -q "Automatic (DHCP)" <<<"$TMUX_LAST"; then
		tmux_keys Enter; tmux_wait "has the address" 60; tmux_keys Enter
		tmux_wait "Server \(name or address\)"
	fi
fi
tmux_wait "Server \(name or address\) +10\.0\.2\.2"; ok $? "restore: the SSH form keeps the server"
tmux_keys Enter Enter Enter Enter Enter       # field by field; Enter on the password connects
tmux_wait "Target disk" 60; ok $? "  the target disk"
tmux_keys Home Down Enter                                     # vdb (sorted by name)
tmux_wait "lab-live .*vda" 60; ok $? "  the image is listed, with its date, size and disk"
tmux_keys Enter
tmux_wait "Target: /dev/vdb \(176 MB, serial TGT0100\)"; ok $? "  the summary names vdb, by its serial number"
grep -q "Target: /dev/vdb" <<<"$TMUX_LAST" || { echo "Bail out! not the blank disk"; exit 1; }
tmux_keys Enter
tmux_wait "LAST WARNING"; tmux_keys Left Enter
tmux_wait "was restored|did not work|Cancelled" 600; ok $(grep -q "was restored" <<<"$TMUX_LAST" && echo 0 || echo 1) "restored onto vdb"
diag "restored at $(qemu_elapsed) s"
tmux_wait "5  Power off" 20; ok $? "  the result screen offers Power off (live system)"
sleep 1                                                       # let the result screen settle
tmux_keys End Enter                                           # the last choice: power off
tmux_wait "Power the computer off now"; tmux_keys Left Enter  # Yes (No is the default)
qemu_wait_end 120; ok $? "Power off: the machine stops"

diskimg_manifest "$D/tgt.img" "$D/tgt.manifest"
check "the restored disk equals the source: table, boot code, ids, every file" cmp "$D/src.manifest" "$D/tgt.manifest"
[ $_tap_fail -eq 0 ] || diff "$D/src.manifest" "$D/tgt.manifest" | head -20 | sed 's/^/# /'
check "  and its filesystems are clean" diskimg_fsck "$D/tgt.img"
is "$(sha256sum <"$D/src.img")" "$sha_before" "the source disk was not changed"
[ $_tap_fail -eq 0 ] || tail -c 3000 "$D/serial.log" | sed 's/^/# serial: /'
done_testing
