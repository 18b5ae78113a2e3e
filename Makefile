# Clonecast - one non-recursive Makefile.
#   make            build ./clonecast
#   make check      install missing Debian packages, build with -Werror, run every test,
#                   then the same tests again under AddressSanitizer + UBSan
#   make bench      speed against partclone+zstd/pigz and ntfsclone+gzip (4 GiB NTFS on tmpfs)
#   make bench-repo saving over SSH and SMB against OpenSSH and smbclient (local sshd/smbd)
#   make bench-mcast restoring 1, 3, 8 clients at once by multicast (network namespaces, tc tbf)
#   make fuzz       libFuzzer targets for every image reader (FUZZ_SECONDS each)
#   make demo       the wizard on a generated demo disk (see README)
#   make live       clonecast-live.iso, the hybrid boot medium for CD and USB stick (live/build.sh)
#   make netboot    clonecast-netboot/, the same system for a PXE/TFTP server
#   make check-live both of them, then booted in QEMU: wizard over the serial console, PXE

CC       ?= cc
O        ?= build
CFLAGS   ?= -O2 -g
WARN      = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wold-style-definition -Wpointer-arith -Wvla -Wwrite-strings -Wundef -fno-common
ifdef WERROR
WARN     += -Werror
endif
CPPFLAGS += -std=gnu11 -D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE -Iengine -I/usr/include/ntfs-3g -I/usr/include/samba-4.0 \
            -DLOCALEDIR='"$(LOCALEDIR)"'
LOCALEDIR ?= $(abspath $(O))/locale
LIBS      = -lncursesw -lssh -lsmbclient -lntfs-3g -lext2fs -lcom_err -lzstd -lisal -lz -lxxhash -llz4 -lbz2 -llzma -lcrypto -lpthread
SAN       = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

ENGINE_SRC := $(sort $(wildcard engine/*.c))
CLI_SRC    := $(sort $(wildcard cli/*.c))
TUI_SRC    := $(sort $(wildcard tui/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/t-*.c))
TESTLIB    := tests/lib/tap.c
HEADERS    := $(wildcard engine/*.h engine/*.def cli/*.h tui/*.h tests/lib/*.h)

ENGINE_OBJ  = $(ENGINE_SRC:%.c=$(O)/%.o)
CLI_OBJ     = $(CLI_SRC:%.c=$(O)/%.o) $(TUI_SRC:%.c=$(O)/%.o)
UNIT_BIN    = $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)

.PHONY: live netboot check-live check-deps-live pot update-po all check check-deps unit integration check-asan bench bench-repo bench-mcast fuzz demo clean po-check lint
.DEFAULT_GOAL := all

all: clonecast

# copy and rename: a running ./clonecast (a wizard in another terminal) is not "busy"
clonecast: $(O)/clonecast
	cp $< $@.tmp && mv -f $@.tmp $@

$(O)/clonecast: $(CLI_OBJ) $(O)/libclonecast.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(O)/libclonecast.a $(LIBS)

$(O)/libclonecast.a: $(ENGINE_OBJ)
	rm -f $@ && ar rcs $@ $^

$(O)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

$(O)/tests/t-%: tests/unit/t-%.c $(O)/libclonecast.a $(O)/tests/lib/tap.o
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/lib $(CFLAGS) $(WARN) -o $@ $< $(O)/tests/lib/tap.o $(O)/libclonecast.a $(LIBS)

$(O)/tests/helpers/%: tests/helpers/%.c $(O)/libclonecast.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(O)/libclonecast.a $(LIBS)

HELPER_BIN = $(patsubst tests/helpers/%.c,$(O)/tests/helpers/%,$(wildcard tests/helpers/*.c))

# Unit tests: one TAP program per engine module.
unit: $(UNIT_BIN) $(HELPER_BIN)
	@tests/run-tap.sh $(UNIT_BIN)

# Integration tests: real filesystems, real partclone/ntfsclone.
integration: clonecast $(HELPER_BIN)
	@CLONECAST=$(abspath clonecast) HELPERS=$(abspath $(O)/tests/helpers) tests/run-tap.sh tests/t[0-9]*.sh

check-deps:
	@tests/install-deps.sh

# The last line is the total over both builds: "N passed, N failed, N skipped".
check: check-deps
	@rm -f $(O)/tap-totals; mkdir -p $(O)
	$(MAKE) WERROR=1 TAP_TOTALS=$(abspath $(O))/tap-totals all unit integration po-check
	$(MAKE) TAP_TOTALS=$(abspath $(O))/tap-totals check-asan
	@echo "make check: normal and ASan/UBSan builds, every test program:"
	@awk '{p+=$$1; f+=$$2; s+=$$3} END {print p " passed, " f " failed, " s " skipped"}' $(O)/tap-totals

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
check-asan:
	$(MAKE) O=build/asan WERROR=1 CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" \
	    ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
	    build/asan/clonecast unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
	    CLONECAST=$(abspath build/asan/clonecast) \
	    HELPERS=$(abspath build/asan/tests/helpers) tests/run-tap.sh tests/t[0-9]*.sh

po-check:
	@for po in translations/*.po; do [ -e "$$po" ] || continue; \
	    msgfmt -c --check-format -o /dev/null "$$po" || exit 1; done

# Translations: translations/clonecast.pot from every source file, one .po per language
# compiled into $(O)/locale/<ll>/LC_MESSAGES/clonecast.mo.
POFILES := $(wildcard translations/*.po)
MOFILES := $(POFILES:translations/%.po=$(O)/locale/%/LC_MESSAGES/clonecast.mo)
all: $(MOFILES)
$(O)/clonecast: | $(MOFILES)
$(O)/locale/%/LC_MESSAGES/clonecast.mo: translations/%.po
	@mkdir -p $(dir $@)
	msgfmt -c --check-format -o $@ $<
pot:
	xgettext --from-code=UTF-8 -k_ -kN_ -kQ_:1,2 -c"TRANSLATORS:" --package-name=clonecast \
	    -o translations/clonecast.pot $(ENGINE_SRC) $(CLI_SRC) $(TUI_SRC) $(wildcard engine/*.def cli/*.h)
update-po: pot
	@for po in $(POFILES); do msgmerge -q -U --backup=none $$po translations/clonecast.pot; done

bench: clonecast
	tests/bench/run.sh

# Saving to / restoring from a local sshd and smbd against OpenSSH and smbclient.
bench-repo: clonecast $(HELPER_BIN)
	CLONECAST=$(abspath clonecast) REPO_TOOL=$(abspath $(O)/tests/helpers/repo-tool) tests/bench/repo.sh

# Multicast restore of 1, 3, 8 clients at once over 1 Gbit/s and 100 Mbit/s links (network namespaces).
bench-mcast: clonecast
	CLONECAST=$(abspath clonecast) tests/bench/mcast.sh

# The wizard on a generated demo disk and a local repository folder (build/demo).
demo: check-deps
	$(MAKE) all
	./clonecast --demo --demo-dir $(abspath $(O))/demo

# The live medium.  It builds its own clonecast (build/live/bin, catalogues under /usr/share).
live: check-deps-live
	live/build.sh iso clonecast-live.iso
netboot: check-deps-live
	live/build.sh netboot clonecast-netboot
check-deps-live:
	@tests/install-deps.sh live
check-live: check-deps-live
	live/build.sh all clonecast-live.iso clonecast-netboot
	$(MAKE) clonecast
	@CLONECAST=$(abspath clonecast) LIVE_ISO=$(abspath clonecast-live.iso) \
	    LIVE_NETBOOT=$(abspath clonecast-netboot) tests/run-tap.sh tests/live/t[0-9]*.sh

FUZZ_SECONDS ?= 120
fuzz:
	LIBS="$(LIBS)" tests/fuzz/run.sh $(FUZZ_SECONDS)

lint:
	cppcheck -q --enable=warning,portability --error-exitcode=1 -Iengine engine cli

clean:
	rm -rf build clonecast clonecast-live.iso clonecast-netboot
