#!/bin/bash
# shellcheck disable=SC2059 # the printf formats come from the .po files on purpose
# t0100-i18n: translations work end to end. For every language in translations/LINGUAS,
# under its UTF-8 locale clonecast prints the msgstr of translations/<ll>.po (looked up
# from the .po itself, so the test follows the translations), from the command line
# (usage, option errors), from the engine (error details, the raw-save warning) and from
# the progress renderer; under LC_ALL=C it prints the English msgid.
. "$(dirname "$0")/lib/tap.sh"
CC=$CLONECAST
PODIR=$TOP/translations
unset LANGUAGE LC_MESSAGES   # LANGUAGE would override LANG/LC_ALL for gettext

# po_msgstr FILE MSGID: the translation of MSGID (the string itself, unescaped) in the .po
# FILE, unescaped; prints nothing if it is missing, untranslated or fuzzy.
po_msgstr() { msgattrib --no-fuzzy --translated --no-obsolete "$1" 2>/dev/null | po_awk "$2"; }
po_msgstr_all() { po_awk "$2" <"$1"; }
po_awk() {
	WANT=$1 awk '
	function unesc(s,   o, i, c) {
		o = ""
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c == "\\") {
				c = substr(s, ++i, 1)
				if (c == "n") c = "\n"; else if (c == "t") c = "\t"
			}
			o = o c
		}
		return o
	}
	function flush() {
		if (cur != "" && id == ENVIRON["WANT"] && (str != "" || ENVIRON["ANY"] != "")) { printf "%s", str; found = 1 }
		cur = id = str = ""
	}
	/^msgid /  { flush(); cur = "id"; id = unesc(substr($0, 8, length($0) - 8)); next }
	/^msgstr / { cur = "str"; str = unesc(substr($0, 9, length($0) - 9)); next }
	/^"/       { s = unesc(substr($0, 2, length($0) - 2)); if (cur == "id") id = id s; else if (cur == "str") str = str s; next }
	/^msgid_plural|^msgstr\[/ { cur = "" }
	END        { flush(); exit !found }'
}
# po_has FILE MSGID: succeeds if FILE (a .po or the .pot) has MSGID, translated or not
po_has() { ANY=1 po_msgstr_all "$1" "$2" >/dev/null; }

# glob_of FORMAT: a bash pattern matching FORMAT's output for any %s arguments
glob_of() { printf '%s' "$1" | sed -e 's/[][*?()|!+@\\]/\\&/g' -e 's/%s/*/g'; }

# locale_for LL: the UTF-8 locale to test LL with (de -> de_DE.UTF-8, pt_BR -> pt_BR.UTF-8)
locale_for() {
	local ll=$1 c
	case $ll in *_*) c=$ll ;; *) c=${ll}_${ll^^} ;; esac
	if [ -r /usr/share/i18n/SUPPORTED ] && ! grep -q "^$c\.UTF-8 UTF-8" /usr/share/i18n/SUPPORTED; then
		c=$(sed -n "s/^\(${ll}_[A-Z][A-Z]*\)\.UTF-8 UTF-8\$/\1/p" /usr/share/i18n/SUPPORTED | head -1)
		[ -n "$c" ] || c=${ll}_${ll^^}
	fi
	echo "$c.UTF-8"
}
norm() { tr '[:upper:]' '[:lower:]' | tr -d -- '-'; }   # de_DE.UTF-8 and de_DE.utf8 compare equal
have_locale() { locale -a 2>/dev/null | norm | grep -qxF "$(printf '%s' "$1" | norm)"; }

# ensure_locale LOC: generate LOC with localedef if `locale -a` lacks it. Prints the reason
# and returns 1 if it cannot.
ensure_locale() {
	have_locale "$1" && return 0
	if ! command -v localedef >/dev/null; then echo "localedef is missing"; return 1; fi
	if [ "$(id -u)" -ne 0 ]; then echo "locale $1 is missing and generating it needs root"; return 1; fi
	if ! localedef -i "${1%.UTF-8}" -f UTF-8 "$1" >/dev/null 2>&1 || ! have_locale "$1"; then
		echo "localedef cannot generate $1 (install the locales package: tests/install-deps.sh)"
		return 1
	fi
	diag "generated locale $1"
}

# The catalogs the binary under test reads: LOCALEDIR is compiled in.
localedir=$(strings -a "$CC" 2>/dev/null | grep -m1 -E '^/.*/locale$')
[ -n "$localedir" ] || diag "cannot find LOCALEDIR in $CC"

M_COMP="unknown compression '%s' (use zstd, zstd:LEVEL, gzip, gzip:LEVEL or none)"
M_OPEN="cannot open '%s'"
M_USAGE=$(cat <<'EOF'
Usage: clonecast [--lang LL] [--demo]   the wizard (a text screen, step by step)
       clonecast COMMAND [OPTIONS] ARGS   one job, for scripts and batch work

Partitions:
  save-part [-z zstd|gzip|none[:LEVEL]] [-j THREADS] SOURCE OUTPUT|-
                          save the used blocks of a filesystem
  restore-part INPUT|- TARGET
                          restore an image onto a partition or file
  check INPUT|-           verify every checksum of an image, write nothing
  info INPUT              show what an image holds

Disks and image directories (Clonezilla's layout, in a repository):
  savedisk [-r REPO] [-z ALGO] [-i SPLIT_MB] [--check] IMAGE DISK...
  saveparts [-r REPO] [-z ALGO] [-i SPLIT_MB] [--check] IMAGE PART...
  restoredisk [-r REPO] [-b] [--grow] IMAGE DISK...
  restoreparts [-r REPO] [-b] IMAGE PART...
  check -r REPO IMAGE     verify a whole image directory
  list [-r REPO]          complete images with date, size and disks

Many computers at once (multicast, udpcast):
  mcast-serve [-b] [-r REPO] [--interface IF] [--clients N] [--max-wait S] IMAGE
                          send an image to every client that joins
  restoredisk [-b] --multicast [--interface IF] DISK...
                          restore what a server sends (also restoreparts)

The live system (its boot menu starts it on the console):
  live [--cmdline FILE] [--no-wizard]
                          the unattended job of the clonecast.* kernel
                          options, then the wizard

Run 'clonecast COMMAND --help' for the options of a command.
EOF
)
M_CHECK_USAGE=$(cat <<'EOF'
Usage: clonecast check [-q] [--raw] INPUT|-
       clonecast check [-q] [-b] -r REPO IMAGE   (an image directory;
          the network options are those of savedisk)
Verify every checksum of an image; writes nothing. Exit status 0 only if
the whole image is good.
EOF
)
M_UNKNOWN="clonecast: unknown command '%s'"
M_WARN="warning: "
M_RAW="no known filesystem on '%s': saving every block (raw)"
M_SAVING="saving"
M_GOOD="%s: good: %s image of %s, %s of data, %s checksums verified"
# The msgids must still be in the .pot, else this test checks strings nobody prints.
missing=()
for m in "$M_COMP" "$M_OPEN" "$M_USAGE"$'\n' "$M_CHECK_USAGE"$'\n' "$M_UNKNOWN"$'\n' "$M_WARN" "$M_RAW" \
	 "$M_SAVING" "$M_GOOD"$'\n'; do
	po_has "$PODIR/clonecast.pot" "$m" || missing+=("$(printf '%s' "$m" | head -1)")
done
[ ${#missing[@]} -eq 0 ]; ok $? "the msgids this test uses are in clonecast.pot"
for m in "${missing[@]}"; do diag "not in the .pot: $m"; done

make_scratch; D=$SCRATCH
truncate -s 4M "$D/blank.img"   # no filesystem: save-part falls back to raw and warns

# run_all ENV...: run the commands under env ENV..., outputs into OUT_* and RC_*
run_all() {
	OUT_COMP=$(env "$@" "$CC" save-part -z lzma a b 2>&1); RC_COMP=$?
	OUT_OPEN=$(env "$@" "$CC" restore-part /nonexistent "$D/x" 2>&1); RC_OPEN=$?
	OUT_HELP=$(env "$@" "$CC" --help 2>/dev/null); RC_HELP=$?
	OUT_CHKU=$(env "$@" "$CC" check 2>&1 >/dev/null); RC_CHKU=$?
	OUT_UNKN=$(env "$@" "$CC" frobnicate 2>&1 >/dev/null | head -1)
	rm -f "$D/img.pcl"
	OUT_SAVE=$(env "$@" "$CC" save-part --progress plain -z none "$D/blank.img" "$D/img.pcl" 2>&1); RC_SAVE=$?
	OUT_GOOD=$(env "$@" "$CC" check -q "$D/img.pcl" 2>&1); RC_GOOD=$?
}

# expect LABEL LANG_FOR_LOOKUP: compare the outputs of run_all with the strings of the
# language (msgstr from its .po), or with the msgids for LANG_FOR_LOOKUP=C.
expect() {
	local label=$1 po=$2 t
	xl() { # xl MSGID: the string that language prints for MSGID
		if [ "$po" = C ]; then printf '%s' "$1"; else po_msgstr "$po" "$1"; fi
	}
	local comp open usage chku unkn warn raw saving good
	comp=$(xl "$M_COMP"); open=$(xl "$M_OPEN"); usage=$(xl "$M_USAGE"$'\n')
	chku=$(xl "$M_CHECK_USAGE"$'\n'); unkn=$(xl "$M_UNKNOWN"$'\n'); warn=$(xl "$M_WARN"; echo .)
	warn=${warn%.}; raw=$(xl "$M_RAW"); saving=$(xl "$M_SAVING"); good=$(xl "$M_GOOD"$'\n')
	if [ "$po" != C ]; then
		for t in "$comp" "$open" "$usage" "$chku" "$unkn" "$warn" "$raw" "$saving" "$good"; do
			[ -n "$t" ] || { ok 1 "$label: every looked-up message is translated in $po"; return; }
		done
		[ "$usage" != "$M_USAGE" ] && [ "$comp" != "$M_COMP" ]
		ok $? "$label: the .po translates the messages (msgstr differs from msgid)"
	fi
	is "$OUT_COMP" "clonecast: $(printf -- "$comp" lzma)" "$label: save-part -z lzma: option error"
	[ "$RC_COMP" -eq 2 ]; ok $? "$label: save-part -z lzma exits 2"
	[[ $RC_OPEN -ne 0 && $OUT_OPEN == "clonecast: $(printf -- "$open" /nonexistent): "* ]]; t=$?
	ok $t "$label: restore-part /nonexistent: engine error detail"
	[ $t -eq 0 ] || diag "got: $OUT_OPEN"
	is "$OUT_HELP" "$usage" "$label: --help prints the usage"
	is "$OUT_CHKU" "$chku" "$label: check without INPUT prints its usage on stderr"
	is "$RC_HELP/$RC_CHKU" "0/2" "$label: exit status of --help / check without INPUT"
	is "$OUT_UNKN" "$(printf -- "$unkn" frobnicate)" "$label: unknown command"
	[[ $RC_SAVE -eq 0 && $OUT_SAVE == *"clonecast: $warn$(printf -- "$raw" "$D/blank.img")"* ]]; t=$?
	ok $t "$label: raw save: engine warning with the translated 'warning: ' prefix"
	[ $t -eq 0 ] || printf '%s\n' "$OUT_SAVE" | sed 's/^/#   /'
	printf '%s\n' "$OUT_SAVE" | { f=1; while IFS= read -r l; do [[ $l == "$saving "* ]] && f=0; done; exit $f; }
	ok $? "$label: raw save: a progress line starts with '$saving'"
	# shellcheck disable=SC2053 # the right-hand side is a pattern on purpose
	[[ $RC_GOOD -eq 0 && $OUT_GOOD == $(glob_of "$good") ]]; t=$?
	ok $t "$label: check: the 'good' summary"
	[ $t -eq 0 ] || diag "got: $OUT_GOOD"
}

# English under the C locale, whatever the caller's environment says.
run_all LC_ALL=C LANG=C
expect "C" C

mapfile -t langs < <(sed 's/#.*//' "$PODIR/LINGUAS" | tr -s ' \t' '\n' | grep -v '^$')
[ ${#langs[@]} -gt 0 ]; ok $? "translations/LINGUAS lists languages (${langs[*]})"
for ll in "${langs[@]}"; do
	po=$PODIR/$ll.po
	[ -f "$po" ]; ok $? "$ll: $ll.po exists"
	[ -f "$po" ] || continue
	if [ -n "$localedir" ]; then
		[ -f "$localedir/$ll/LC_MESSAGES/clonecast.mo" ]
		ok $? "$ll: $localedir/$ll/LC_MESSAGES/clonecast.mo is built (make all)"
	fi
	loc=$(locale_for "$ll")
	if ! why=$(ensure_locale "$loc"); then
		skip "$ll: $why"
		continue
	fi
	[ -z "$why" ] || echo "$why"   # "# generated locale ..."
	run_all LANG="$loc" LC_ALL="$loc"
	expect "$ll ($loc)" "$po"
	# LANG alone is enough (no LC_ALL): the normal setup of a live system.
	out=$(env -u LC_ALL LANG="$loc" "$CC" --help 2>/dev/null)
	is "$out" "$(po_msgstr "$po" "$M_USAGE"$'\n')" "$ll: --help under LANG=$loc alone"
done

done_testing
