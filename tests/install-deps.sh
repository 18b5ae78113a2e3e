#!/bin/bash
# install-deps.sh - install the Debian packages that building Clonecast and running its tests
# and benchmark need. Idempotent: checks with dpkg-query first and prints one line when nothing
# is missing. Not root and something missing: prints the apt-get command and exits 1.
#   tests/install-deps.sh         what building, make check and make bench need
#   tests/install-deps.sh live    and what building the live medium and booting it in QEMU need
set -euo pipefail

PKGS=(
	# build
	build-essential pkg-config gettext clang libclang-rt-14-dev
	ntfs-3g-dev libext2fs-dev comerr-dev libzstd-dev zlib1g-dev libdeflate-dev libisal-dev
	libxxhash-dev liblz4-dev libbz2-dev liblzma-dev libssl-dev libssh-dev libsmbclient-dev
	# filesystems and their tools (mkntfs ntfs-3g ntfsfix ntfsinfo ntfscat ntfsclone; mkfs.ext4
	# e2fsck dumpe2fs; mkfs.vfat fsck.fat; mcopy mdeltree mdir; fusermount)
	ntfs-3g e2fsprogs dosfstools mtools fuse3
	fdisk gdisk parted # partition tables: sfdisk (in fdisk), sgdisk (in gdisk), parted
	# the anchors and compressors the tests and the bench compare against
	partclone zstd pigz gzip lz4 bzip2 xz-utils
	# the real Clonezilla (tests/lib/ocs.sh runs ocs-sr on loop devices): ocs-sr needs parted
	# (partprobe; tells MBR from GPT) and gdisk (sgdisk) besides partclone, zstd and pigz
	clonezilla drbl parted gdisk
	# the test scripts: python3 (generator), openssl (its PRNG), /usr/bin/time, mount/losetup/
	# mountpoint/flock, cmp, od/truncate/stat/sha256sum, awk, sed, grep
	python3 openssl time mount util-linux diffutils coreutils mawk sed grep locales
	# network repositories: a real sshd and smbd on 127.0.0.1 (tests/lib/sshd.sh, smbd.sh), the
	# clients the benchmark compares with, script(1) for prompts on a terminal, ip netns
	openssh-server openssh-client sshpass samba smbclient bsdutils iproute2 procps
	# the wizard: ncursesw, tmux drives it in the tests, gettext(1) looks up the expected
	# translations, groff checks the man page
	libncurses-dev tmux gettext-base groff-base
	# network set-up (engine/netcfg.c, t7300): the DHCP clients it runs (busybox udhcpc, ISC
	# dhclient) and a DHCP server for the test (dnsmasq-base: the binary, no system service)
	busybox isc-dhcp-client dnsmasq-base
	# multicast restore (engine/mcast_*.c; t9000-mcast, t8400, make bench-mcast): udp-sender and
	# udp-receiver; nft drops 1% of one test receiver's packets (no netem here), tc shapes links
	udpcast nftables iproute2
)
# the live medium (live/build.sh, make live / netboot / check-live): the programs it packs come
# from the packages above, and busybox-static, the kernel and syslinux come as .deb files from
# apt-get download; these build it and boot it: squashfs-tools, cpio and zstd (initramfs),
# syslinux/isolinux/xorriso (hybrid ISO), kmod, QEMU with its iPXE ROMs (PXE boot), udpcast and
# nftables (what the medium carries for multicast)
LIVE_PKGS=(
	squashfs-tools cpio zstd kmod syslinux syslinux-common isolinux xorriso
	qemu-system-x86 qemu-utils ipxe-qemu udpcast nftables
)
if [ "${1:-}" = live ]; then PKGS+=("${LIVE_PKGS[@]}"); fi

missing=()
for p in "${PKGS[@]}"; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages are installed"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: as root, run:" >&2
	echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi
command -v apt-get >/dev/null || { echo "install-deps: apt-get not found (Debian/Ubuntu only); missing: ${missing[*]}" >&2; exit 1; }

echo "install-deps: installing ${missing[*]}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"

# check again: a package that did not install is an error
still=()
for p in "${missing[@]}"; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || still+=("$p")
done
if [ ${#still[@]} -ne 0 ]; then
	echo "install-deps: still missing after apt-get install: ${still[*]}" >&2
	exit 1
fi
echo "install-deps: installed ${#missing[@]} package(s)"
