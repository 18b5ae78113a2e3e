#!/bin/bash
# build.sh - the Clonecast live system, built from Debian packages.
#
#   live/build.sh iso [OUT.iso]        hybrid ISO for CD and USB stick (default clonecast-live.iso)
#   live/build.sh netboot [DIR]        folder for a PXE/TFTP server (default clonecast-netboot)
#   live/build.sh all [OUT.iso [DIR]]  both from one build of the root
#   live/build.sh root                 only the root image and initramfs (build/live/out)
#
# What goes in: a Debian kernel with the modules of live/modules.list, busybox, clonecast (built
# here with its catalogues under /usr/share/locale) and the programs and files of
# live/payload.list, each from the Debian package that holds it on this machine at the installed
# version.  Packages are fetched with apt-get download into a cache ($LIVE_DEBS, default
# build/live/debs) and unpacked; with the cache filled, a build needs no network.  The result is
# a kernel, a small first-stage initramfs (live/init: finds the medium or fetches the root over
# the network) and a squashfs root image (busybox init, live/root/).
#
# Environment: LIVE_DEBS (package cache), LIVE_COMP (xz (default) or zstd: the root image),
# SOURCE_DATE_EPOCH (file times; default: the last commit), CLONECAST_BIN (default: built).
set -euo pipefail
umask 022
export LC_ALL=C

TOP=$(cd "$(dirname "$0")/.." && pwd)
LD=$TOP/build/live
DEBS=${LIVE_DEBS:-$LD/debs}
COMP=${LIVE_COMP:-xz}
ARCH=amd64
MULTIARCH=x86_64-linux-gnu
: "${SOURCE_DATE_EPOCH:=$(git -C "$TOP" log -1 --format=%ct 2>/dev/null || echo 1780000000)}"
export SOURCE_DATE_EPOCH

say() { printf 'live: [%3ds] %s\n' "$SECONDS" "$*" >&2; }
die() { printf 'live: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 is not installed (tests/install-deps.sh live installs it)"; }

# ---------------------------------------------------------------- packages

# canon PATH: the merged-/usr spelling of a path (/lib/x -> /usr/lib/x)
canon() {
	case $1 in
	/bin/* | /sbin/* | /lib/* | /lib64/*) echo "/usr$1" ;;
	*) echo "$1" ;;
	esac
}
# alias PATH: the other spelling, as a package may hold it (/usr/lib/x -> /lib/x)
alias_of() {
	case $1 in
	/usr/bin/* | /usr/sbin/* | /usr/lib/* | /usr/lib64/*) echo "${1#/usr}" ;;
	/bin/* | /sbin/* | /lib/* | /lib64/*) echo "/usr$1" ;;
	*) echo "$1" ;;
	esac
}

# host_files: every file of the build machine that goes into the root (one per line, as the
# package spells it or as ldd prints it): payload programs and dlopen()ed libraries with their
# library closures, the data paths, clonecast's libraries.
host_files() {
	local kind path rest f
	{
		while read -r kind path rest; do
			case $kind in
			prog | dlopen)
				[ -e "$path" ] || [ -e "$(alias_of "$path")" ] || die "$path (live/payload.list) is not installed"
				echo "$path"
				elf_closure "$path"
				;;
			data)
				[ -e "$path" ] || [ -e "$(alias_of "$path")" ] || die "$path (live/payload.list) is not installed"
				if [ -d "$path" ]; then find "$path" -type f; else echo "$path"; fi
				;;
			terminfo)
				for f in $path $rest; do terminfo_file "$f"; done
				;;
			esac
		done < <(grep -Ev '^[[:space:]]*(#|$)' "$TOP/live/payload.list")
		elf_closure "$CLONECAST_BIN"
	} | awk '!seen[$0]++'
}

# elf_closure FILE: the shared libraries FILE needs (and the dynamic loader), resolved on this
# machine by ldd
elf_closure() {
	ldd "$1" 2>/dev/null | awk '
		/=> not found/ { print "NOTFOUND " $1; next }
		/=>/ && $3 ~ /^\// { print $3; next }
		$1 ~ /^\// { print $1 }' | while read -r f; do
		case $f in NOTFOUND*) die "${f#NOTFOUND } (needed by $1) is not installed" ;; esac
		echo "$f"
	done
}

terminfo_file() {
	local f c=${1:0:1}
	for f in /usr/share/terminfo/$c/$1 /lib/terminfo/$c/$1; do
		[ -e "$f" ] && { echo "$f"; return; }
	done
	die "terminfo entry $1 is not installed (ncurses-base / ncurses-term)"
}

# owners: for each host file (standard input), the installed package holding it under any
# spelling (/usr/lib or /lib, the link or its target); dpkg-query is asked once for all
owners() {
	local f r
	while read -r f; do
		r=$(readlink -f "$f")
		printf '%s %s\n' "$f" "$f" "$f" "$(alias_of "$f")" "$f" "$r" "$f" "$(alias_of "$r")"
	done >"$LD/spellings"
	cut -d' ' -f2 "$LD/spellings" | sort -u | xargs dpkg-query -S 2>/dev/null |
		grep -v '^diversion' >"$LD/dpkg-S" || true
	awk 'NR == FNR { i = index($0, ": /"); p = substr($0, 1, i - 1); sub(/,.*/, "", p); sub(/:.*/, "", p)
			 owner[substr($0, i + 2)] = p; next }
	     ($2 in owner) && !($1 in found) { found[$1] = owner[$2]; print owner[$2] }
	     { all[$1] = 1 }
	     END { for (f in all) if (!(f in found)) { print "live: no installed package holds " f > "/dev/stderr"; bad = 1 }
		   exit bad }' "$LD/dpkg-S" "$LD/spellings" || die "files of no package (see above)"
}

# versions: for each package name (standard input), NAME=VERSION to download: the installed
# version when the archive still has it, else the archive's candidate (the same library ABI: a
# Debian stable update); packages that are not installed (the kernel, busybox-static,
# syslinux): the candidate
versions() {
	local names
	names=$(sort -u)
	# shellcheck disable=SC2086
	dpkg-query -W -f='${Package} ${db:Status-Status} ${Version}\n' $names 2>/dev/null >"$LD/installed" || true
	# shellcheck disable=SC2086
	apt-cache policy $names >"$LD/policy"
	awk 'NR == FNR { if ($2 == "installed") inst[$1] = $3; next }
	     /^[^ ]/ { pkg = $1; sub(/:.*/, "", pkg); order[++n] = pkg; next }
	     /^  Candidate:/ { cand[pkg] = $2; next }
	     /^ \*\*\* / { ver = $2; next }
	     /^     [^ ]/ { ver = $1; next }
	     /^        [0-9]+ / && $2 != "/var/lib/dpkg/status" { avail[pkg " " ver] = 1 }
	     END {
		for (i = 1; i <= n; i++) {
			p = order[i]
			if ((p in inst) && ((p " " inst[p]) in avail)) print p "=" inst[p]
			else if (cand[p] != "" && cand[p] != "(none)") print p "=" cand[p]
			else { print "live: no version of " p " to download (apt-get update?)" > "/dev/stderr"; bad = 1 }
		}
		exit bad
	     }' "$LD/installed" "$LD/policy" || die "packages missing from the archive"
}

kernel_package() {
	if [ -n "${LIVE_KERNEL:-}" ]; then echo "$LIVE_KERNEL"; return; fi
	apt-cache show --no-all-versions linux-image-$ARCH 2>/dev/null | sed -n 's/^Depends: //p' |
		tr ',' '\n' | sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -1
}

# lock: the exact packages of this build, one NAME=VERSION a line, into $LD/packages.lock
make_lock() {
	local k
	k=$(kernel_package)
	[ -n "$k" ] || die "no kernel package: apt-cache knows no linux-image-$ARCH (apt-get update?)"
	host_files >"$LD/host.files"
	owners <"$LD/host.files" >"$LD/host.owners"
	printf '%s\n' "$k" busybox-static isolinux syslinux-common pxelinux | cat - "$LD/host.owners" |
		versions | sort >"$LD/packages.lock.new"
	mv "$LD/packages.lock.new" "$LD/packages.lock"
	echo "$k" >"$LD/kernel.package"
}

# deb_file NAME=VERSION: the package file apt-get download gave (any architecture)
deb_file() {
	local f
	for f in "$DEBS/${1%%=*}_$(echo "${1#*=}" | sed 's/:/%3a/g')"_*.deb; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

fetch_debs() {
	local l missing=()
	mkdir -p "$DEBS"
	while read -r l; do
		deb_file "$l" >/dev/null || missing+=("$l")
	done <"$LD/packages.lock"
	[ ${#missing[@]} -eq 0 ] && { say "packages: all $(wc -l <"$LD/packages.lock") in $DEBS"; return; }
	say "packages: downloading ${#missing[@]} into $DEBS"
	(cd "$DEBS" && apt-get -q -o APT::Sandbox::User=root download "${missing[@]}" >/dev/null) ||
		die "apt-get download failed (no network and no package cache?)"
	while read -r l; do
		deb_file "$l" >/dev/null || die "apt-get download did not give $l"
	done <"$LD/packages.lock"
}

# sysroot: every package of the lock but the kernel, unpacked into $LD/sysroot (again only when
# the lock changed); the kernel into $LD/kernel-<version> with its modules.dep
unpack() {
	local l k kdir kver
	if ! cmp -s "$LD/packages.lock" "$LD/sysroot.lock" 2>/dev/null; then
		say "unpacking $(($(wc -l <"$LD/packages.lock") - 1)) packages"
		rm -rf "$LD/sysroot" "$LD/sysroot.lock"
		mkdir -p "$LD/sysroot"
		k=$(cat "$LD/kernel.package")
		while read -r l; do
			[ "${l%%=*}" = "$k" ] && continue
			dpkg-deb -x "$(deb_file "$l")" "$LD/sysroot"
		done <"$LD/packages.lock"
		cp "$LD/packages.lock" "$LD/sysroot.lock"
	fi
	l=$(grep "^$(cat "$LD/kernel.package")=" "$LD/packages.lock")
	kdir=$LD/kernel-${l#*=}
	if [ ! -f "$kdir/done" ]; then
		say "unpacking the kernel ${l%%=*}"
		rm -rf "$kdir"
		mkdir -p "$kdir"
		dpkg-deb -x "$(deb_file "$l")" "$kdir"
		kver=$(ls "$kdir/lib/modules")
		"$LD/sysroot/bin/busybox" depmod -b "$kdir" "$kver"
		echo "$kver" >"$kdir/done"
	fi
	KDIR=$kdir
	KVER=$(cat "$kdir/done")
}

# in_sysroot PATH: where the sysroot holds PATH (either spelling)
in_sysroot() {
	local p
	for p in "$1" "$(alias_of "$1")"; do
		[ -e "$LD/sysroot$p" ] || [ -L "$LD/sysroot$p" ] && { echo "$LD/sysroot$p"; return; }
	done
	die "$1 is in no unpacked package"
}

# ---------------------------------------------------------------- the root image

# install_file SRC DEST: copy a file into the root, dereferencing symbolic links
install_file() {
	mkdir -p "$(dirname "$2")"
	cp -L --preserve=mode "$1" "$2"
}

# modules_closure [initrd|root]: module files (relative to /lib/modules/KVER) of that section
# of live/modules.list (root: both sections) with every module they depend on
modules_closure() {
	local want=$1
	awk -v want="$want" '
		/^\[initrd\]/ { sec = "initrd"; next }
		/^\[root\]/ { sec = "root"; next }
		/^[[:space:]]*(#|$)/ { next }
		sec == "initrd" || want == "root" { for (i = 1; i <= NF; i++) print $i }' \
		"$TOP/live/modules.list" | tr - _ | sort -u >"$LD/modules.want"
	awk -v dep="$KDIR/lib/modules/$KVER/modules.dep" '
		function base(p,  b) { b = p; sub(/.*\//, "", b); sub(/\.ko$/, "", b); gsub(/-/, "_", b); return b }
		function add(p,  i, n, d) {
			if (p in done) return
			done[p] = 1; print p
			n = split(deps[p], d, " ")
			for (i = 1; i <= n; i++) add(d[i])
		}
		BEGIN {
			while ((getline l < dep) > 0) {
				split(l, f, ":"); p = f[1]; deps[p] = f[2]; path[base(p)] = p
			}
		}
		{ if ($1 in path) add(path[$1]); else missing = missing " " $1 }
		END { if (missing != "") { print "live: modules not in this kernel:" missing > "/dev/stderr"; exit 1 } }' \
		"$LD/modules.want"
}

install_modules() { # ROOT SECTION
	local m
	modules_closure "$2" >"$LD/modules.$2"
	while read -r m; do
		install_file "$KDIR/lib/modules/$KVER/$m" "$1/usr/lib/modules/$KVER/$m"
	done <"$LD/modules.$2"
	cp "$KDIR/lib/modules/$KVER/modules.builtin" "$KDIR/lib/modules/$KVER/modules.order" \
		"$1/usr/lib/modules/$KVER/" 2>/dev/null || true
	"$LD/sysroot/bin/busybox" depmod -b "$1/usr" "$KVER"
}

# busybox and a link for each applet that the root does not have as a real program
install_busybox() { # ROOT
	local a
	install_file "$LD/sysroot/bin/busybox" "$1/usr/bin/busybox"
	for a in $("$LD/sysroot/bin/busybox" --list-full); do
		a=$(canon "/$a")
		[ -e "$1$a" ] || [ -L "$1$a" ] || { mkdir -p "$(dirname "$1$a")"; ln -s /usr/bin/busybox "$1$a"; }
	done
}

# a merged-/usr skeleton
skeleton() { # ROOT
	mkdir -p "$1"/usr/{bin,sbin,lib,lib64} "$1"/{dev,proc,sys,run,tmp,root,mnt,etc}
	ln -s usr/bin "$1/bin"
	ln -s usr/sbin "$1/sbin"
	ln -s usr/lib "$1/lib"
	ln -s usr/lib64 "$1/lib64"
	chmod 1777 "$1/tmp"
	chmod 700 "$1/root"
}

build_clonecast() {
	if [ -n "${CLONECAST_BIN:-}" ]; then return; fi
	say "building clonecast for the live system"
	make -C "$TOP" -s O=build/live/bin LOCALEDIR=/usr/share/locale WERROR=1 build/live/bin/clonecast >&2
	CLONECAST_BIN=$TOP/build/live/bin/clonecast
}

make_root() {
	local R=$LD/root f mo ll
	say "assembling the root ($KVER)"
	rm -rf "$R"
	skeleton "$R"
	while read -r f; do
		install_file "$(in_sysroot "$f")" "$R$(canon "$f")"
	done <"$LD/host.files"
	install_file "$CLONECAST_BIN" "$R/usr/bin/clonecast"
	strip --strip-unneeded "$R/usr/bin/clonecast"
	for mo in "$(dirname "$CLONECAST_BIN")"/locale/*/LC_MESSAGES/clonecast.mo; do
		ll=$(basename "$(dirname "$(dirname "$mo")")")
		install_file "$mo" "$R/usr/share/locale/$ll/LC_MESSAGES/clonecast.mo"
	done
	install_busybox "$R"
	install_modules "$R" root
	cp -a "$TOP/live/root/." "$R/"
	install_file "$TOP/live/coldplug.sh" "$R/usr/lib/clonecast/coldplug.sh"
	chmod 700 "$R/root" "$R/root/.ssh"
	chmod 640 "$R/etc/shadow"
	echo "$KVER" >"$R/etc/clonecast/kernel"
	git -C "$TOP" describe --always --dirty 2>/dev/null >"$R/etc/clonecast/version" || echo unknown >"$R/etc/clonecast/version"
	ldconfig -r "$R" 2>/dev/null || ldconfig -r "$R"
	check_root "$R"
}

# every program of the root starts with the libraries the root holds (the root's own loader
# lists what each needs; "not found" is an error), and clonecast runs
check_root() { # ROOT
	local R=$1 f bad=0
	while read -r f; do
		[ -f "$R$f" ] || continue
		if chroot "$R" /usr/lib64/ld-linux-x86-64.so.2 --list "$f" 2>&1 | grep -q 'not found'; then
			chroot "$R" /usr/lib64/ld-linux-x86-64.so.2 --list "$f" | grep 'not found' | sed "s|^|live: $f: |" >&2
			bad=1
		fi
	done < <(cd "$R" && find usr/bin usr/sbin usr/lib/$MULTIARCH -type f \( -perm -u+x -o -name '*.so*' \) |
		sed 's|^|/|' | grep -v busybox)
	[ $bad -eq 0 ] || die "the root is missing libraries"
	chroot "$R" /usr/bin/clonecast --version >/dev/null || die "clonecast does not start in the root"
}

# file times, owners: the same image from the same packages
normalize() { # DIR
	find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

make_squashfs() {
	local out=$LD/out/root.sfs opts
	case $COMP in
	xz) opts=(-comp xz -Xbcj x86 -b 1M) ;;
	zstd) opts=(-comp zstd -Xcompression-level 15 -b 1M) ;;
	*) die "LIVE_COMP is xz or zstd" ;;
	esac
	say "root image ($COMP)"
	normalize "$LD/root"
	rm -f "$out"
	mksquashfs "$LD/root" "$out" "${opts[@]}" -all-root -no-xattrs -noappend -quiet -no-progress >&2
}

# the first stage: busybox, the [initrd] modules, /init, and the root image's checksum
make_initrd() {
	local I=$LD/initrd
	say "initramfs"
	rm -rf "$I"
	skeleton "$I"
	install_busybox "$I"
	install_modules "$I" initrd
	install_file "$TOP/live/init" "$I/init"
	install_file "$TOP/live/udhcpc.script" "$I/udhcpc.script"
	install_file "$TOP/live/coldplug.sh" "$I/usr/lib/clonecast/coldplug.sh"
	chmod 755 "$I/init" "$I/udhcpc.script"
	sha256sum "$LD/out/root.sfs" | cut -d' ' -f1 >"$I/root.sha256"
	normalize "$I"
	(cd "$I" && find . | sort | cpio -o -H newc -R 0:0 --reproducible --quiet) |
		zstd -q -19 -T0 >"$LD/out/initrd.img"
}

STAGED=
stage() {
	[ -z "$STAGED" ] || return 0
	STAGED=1
	need dpkg-deb; need apt-get; need mksquashfs; need cpio; need zstd; need chroot
	[ "$(id -u)" -eq 0 ] || die "needs root (chroot to check the root image; file owners)"
	mkdir -p "$LD/out"
	build_clonecast
	make_lock
	fetch_debs
	unpack
	make_root
	make_squashfs
	make_initrd
	cp "$KDIR/boot/vmlinuz-$KVER" "$LD/out/vmlinuz"
	cp "$LD/packages.lock" "$LD/out/packages.lock"
	touch -d "@$SOURCE_DATE_EPOCH" "$LD"/out/*
	say "root image $(du -m "$LD/out/root.sfs" | cut -f1) MB, initramfs $(du -m "$LD/out/initrd.img" | cut -f1) MB, kernel $(du -m "$LD/out/vmlinuz" | cut -f1) MB"
}

# ---------------------------------------------------------------- boot menus

# menu_cfg DIR IPAPPEND: the boot menu (isolinux/menu.cfg) for kernel and initramfs in DIR
menu_cfg() {
	sed -e "s|@DIR@|$1|g" -e "s|@IPAPPEND@|$2|" -e "s|@VERSION@|$(cat "$LD/root/etc/clonecast/version")|g" \
		-e '/^ *$/d' "$TOP/isolinux/menu.cfg"
}

syslinux_modules() { # DEST
	local m
	for m in ldlinux.c32 menu.c32 libcom32.c32 libutil.c32; do
		install_file "$LD/sysroot/usr/lib/syslinux/modules/bios/$m" "$1/$m"
	done
}

make_iso() {
	local out=${1:-$TOP/clonecast-live.iso} T=$LD/iso
	need xorriso
	stage
	say "ISO"
	rm -rf "$T"
	mkdir -p "$T/isolinux" "$T/live" "$T/clonecast"
	install_file "$LD/sysroot/usr/lib/ISOLINUX/isolinux.bin" "$T/isolinux/isolinux.bin"
	syslinux_modules "$T/isolinux"
	cp "$TOP/isolinux/isolinux.cfg" "$T/isolinux/isolinux.cfg"
	menu_cfg /live "" >"$T/isolinux/menu.cfg"
	cp "$LD"/out/{vmlinuz,initrd.img,root.sfs,packages.lock} "$T/live/"
	cp "$TOP/live/medium-README.txt" "$T/clonecast/README.txt"
	normalize "$T"
	rm -f "$out"
	xorriso -as mkisofs -quiet -o "$out" -V CLONECAST -J -joliet-long -r \
		--modification-date="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S00)" \
		-isohybrid-mbr "$LD/sysroot/usr/lib/ISOLINUX/isohdpfx.bin" \
		-c isolinux/boot.cat -b isolinux/isolinux.bin -no-emul-boot -boot-load-size 4 \
		-boot-info-table "$T" >&2
	say "$out: $(du -m "$out" | cut -f1) MB"
}

make_netboot() {
	local out=${1:-$TOP/clonecast-netboot}
	stage
	say "netboot folder"
	rm -rf "$out"
	mkdir -p "$out/pxelinux.cfg" "$out/clonecast"
	install_file "$LD/sysroot/usr/lib/PXELINUX/pxelinux.0" "$out/pxelinux.0"
	syslinux_modules "$out"
	cp "$TOP/isolinux/pxelinux.cfg" "$out/pxelinux.cfg/default"
	menu_cfg clonecast "ipappend 3" >"$out/clonecast/menu.cfg"
	cp "$LD"/out/{vmlinuz,initrd.img,root.sfs,packages.lock} "$out/clonecast/"
	say "$out: $(du -sm "$out" | cut -f1) MB"
}

case ${1:-} in
root) stage ;;
iso) make_iso "${2:-}" ;;
netboot) make_netboot "${2:-}" ;;
all) make_iso "${2:-}" && make_netboot "${3:-}" ;;
*)
	sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
	;;
esac
