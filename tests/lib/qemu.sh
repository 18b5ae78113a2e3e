# shellcheck shell=bash
# qemu.sh - the live medium in QEMU (software emulation: no KVM here), its serial console in a
# tmux terminal (tmux.sh), as an operator at a serial terminal would see it.
#
#   . tests/lib/tap.sh; . tests/lib/tmux.sh; . tests/lib/qemu.sh
#   qemu_start LOG ARG...     qemu-system-x86_64 -nographic (the serial port is the 80x24 tmux
#                             terminal) with 1 GiB and 2 CPUs, -no-reboot, and ARG...; everything
#                             the serial port prints is also appended to LOG; QEMU is killed at
#                             exit and after $QEMU_TIMEOUT seconds (default 900)
#   qemu_disk FILE SERIAL     the arguments for FILE as a raw virtio disk whose /sys/block/vdX/serial
#                             is SERIAL (disks appear as vda, vdb... in the order given)
#   qemu_net [OPTS]           the arguments for a virtio network card on QEMU's user-mode network
#                             (the guest is 10.0.2.15; 10.0.2.2 is this machine's 127.0.0.1);
#                             OPTS are appended to -netdev user (tftp=DIR,bootfile=pxelinux.0)
#   qemu_wait_end SECS        wait until QEMU has ended (powered off); 1 if it has not
# Set QEMU_START (seconds since the epoch, with fractions) when QEMU starts, for boot times.
QEMU_TIMEOUT=${QEMU_TIMEOUT:-900}

qemu_start() {
	local log=$1
	shift
	: >"$log"
	QEMU_START=$(date +%s.%N)
	tmux_start 80 24 timeout -s KILL "$QEMU_TIMEOUT" qemu-system-x86_64 -accel tcg -m 1024 -smp 2 \
		-nographic -no-reboot "$@" || return 1
	_tmux pipe-pane -o -t t "cat >>'$log'"
}

qemu_disk() {
	echo "-drive file=$1,format=raw,if=none,id=d$2,cache=unsafe -device virtio-blk-pci,drive=d$2,serial=$2"
}

qemu_net() {
	echo "-netdev user,id=n0${1:+,$1} -device virtio-net-pci,netdev=n0"
}

qemu_wait_end() {
	local i
	for ((i = 0; i < $1 * 2; i++)); do
		tmux_alive || return 0
		sleep 0.5
	done
	return 1
}

# qemu_elapsed: seconds since QEMU started, one decimal
qemu_elapsed() { echo "$(date +%s.%N) $QEMU_START" | awk '{printf "%.1f", $1 - $2}'; }
