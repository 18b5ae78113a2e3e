# shellcheck shell=sh
# coldplug: load the driver of every device the kernel has found, again while loading drivers
# brings new devices (a disk appears only once its controller's driver is loaded).  Sourced by
# the first stage (/init) and by the root's rc.sysinit; busybox modprobe reads modules.alias.
coldplug() {
	_prev= _cur= _i=
	for _i in 1 2 3 4 5 6; do
		_cur=$(cat /sys/bus/*/devices/*/modalias 2>/dev/null | sort -u)
		[ "$_cur" = "$_prev" ] && return 0
		_prev=$_cur
		# shellcheck disable=SC2086
		modprobe -a -q $_cur 2>/dev/null
		modprobe -a -q sd_mod sr_mod 2>/dev/null
	done
}
