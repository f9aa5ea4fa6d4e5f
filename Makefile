# tapmeet — plain make, every dependency through pkg-config.
#
#   make            build tapmeetd and tapmeet into $(BUILD)/
#   make check      unit + integration tests, then again under ASan+UBSan
#   make run        a demo station on simulated hardware, in this terminal
#   make bench      benchmarks (figures, never pass/fail)
#   make deps       install the Debian packages the build and tests need
#   make install    PREFIX, DESTDIR, SYSCONFDIR honoured

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
DESTDIR    ?=

BUILD      ?= build
CC         ?= cc
PKG_CONFIG ?= pkg-config
VERSION    := 0.1.0

WARNINGS = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wformat=2 -Wpointer-arith -Wundef -Wvla -Wimplicit-fallthrough \
	   -Wmissing-declarations -Wwrite-strings -Wcast-align
CSTD     = -std=gnu11
OPT     ?= -O2 -g
SANITIZE ?=
ifneq ($(SANITIZE),)
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# Optional hardware libraries: built in when pkg-config finds them.
HAVE_LIBNFC := $(shell $(PKG_CONFIG) --exists libnfc 2>/dev/null && test -e drivers/reader_libnfc.c && echo 1)
HAVE_GPIOD  := $(shell $(PKG_CONFIG) --exists libgpiod 2>/dev/null && test -e drivers/leds_gpiod.c && echo 1)
GPIOD_MAJOR := $(shell $(PKG_CONFIG) --modversion libgpiod 2>/dev/null | cut -d. -f1)

PKGS = sqlite3 inih libsystemd
# libcrypto's headers only: lib/identity.c loads it when a key needs it.
CRYPTO_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcrypto 2>/dev/null)
DEFS = -D_GNU_SOURCE -DTAPMEET_VERSION='"$(VERSION)"' \
       -DSYSCONFDIR='"$(SYSCONFDIR)"' -DLOCALSTATEDIR='"$(LOCALSTATEDIR)"'
ifeq ($(HAVE_LIBNFC),1)
PKGS += libnfc
DEFS += -DTAPMEET_HAVE_LIBNFC=1
endif
ifeq ($(HAVE_GPIOD),1)
PKGS += libgpiod
DEFS += -DTAPMEET_HAVE_GPIOD=1 -DTAPMEET_GPIOD_API=$(GPIOD_MAJOR)
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) $(CRYPTO_CFLAGS)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# GMime builds the follow-up messages: the query tool's only, never the daemon's.
CLI_PKGS   = gmime-3.0
CLI_PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(CLI_PKGS) 2>/dev/null)
CLI_PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(CLI_PKGS) 2>/dev/null)

ALL_CFLAGS  = $(CSTD) $(WARNINGS) $(OPT) $(SAN_FLAGS) $(DEFS) -Iinclude $(PKG_CFLAGS) \
	      -MMD -MP $(CFLAGS)
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)
LIBS        = $(PKG_LIBS) -lunistring -lpthread -lm

# core/: pure code (no I/O). store/: the one owner of the database. lib/: the
# rest shared by daemon and CLI. drivers/: one file per backend. cli/: the
# query tool, whose parsers (CLI_LIB_SRC) the unit tests link too.
CORE_SRC    = $(wildcard core/*.c)
STORE_SRC   = $(wildcard store/*.c)
LIB_SRC     = $(wildcard lib/*.c)
DRIVER_SRC  = drivers/reader_sim.c drivers/leds_sim.c drivers/leds_none.c drivers/registry.c \
	      $(if $(HAVE_LIBNFC),drivers/reader_libnfc.c) $(if $(HAVE_GPIOD),drivers/leds_gpiod.c)
DAEMON_SRC  = $(wildcard daemon/*.c)
CLI_LIB_SRC = cli/csv.c cli/timearg.c cli/vcard.c cli/text.c cli/attendee_file.c
CLI_SRC     = $(filter-out $(CLI_LIB_SRC),$(wildcard cli/*.c))
UNIT_SRC    = $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

COMMON_OBJ = $(call obj,$(CORE_SRC) $(STORE_SRC) $(LIB_SRC))
DRIVER_OBJ = $(call obj,$(filter $(wildcard drivers/*.c),$(DRIVER_SRC)))
DAEMON_OBJ = $(call obj,$(DAEMON_SRC))
# The daemon's parts but its main(), for the unit tests of the loop, the
# outbox and the writer.
DAEMON_LIB_OBJ = $(filter-out %/daemon/main.o,$(DAEMON_OBJ))
CLI_OBJ    = $(call obj,$(CLI_SRC))
CLI_LIB_OBJ = $(call obj,$(CLI_LIB_SRC))
UNIT_BINS  = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
EMU_BIN    = $(BUILD)/tests/pn532emu
EMU_SRC    = $(wildcard tests/pn532emu/*.c)

.PHONY: all build-tests check check-unit check-integration check-asan check-hw run bench deps install \
	uninstall clean fuzz fuzz-build

all: $(BUILD)/tapmeetd $(BUILD)/tapmeet

# Objects are rebuilt when the flags change (a driver appears, SANITIZE, ...).
FLAGS_STAMP = $(BUILD)/.flags
$(shell mkdir -p $(BUILD); echo '$(ALL_CFLAGS)' | cmp -s - $(FLAGS_STAMP) || echo '$(ALL_CFLAGS)' > $(FLAGS_STAMP))

$(BUILD)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(PRIVATE_INC) -c -o $@ $<

$(CLI_OBJ): PRIVATE_INC = $(CLI_PKG_CFLAGS)

# Unit tests see the private headers of what they test.
$(BUILD)/obj/tests/unit/%.o: PRIVATE_INC = -Icli -Istore -Idaemon

$(BUILD)/libtapmeet.a: $(COMMON_OBJ) $(DRIVER_OBJ)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

$(BUILD)/libtapmeet-cli.a: $(CLI_LIB_OBJ)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

$(BUILD)/tapmeetd: $(DAEMON_OBJ) $(BUILD)/libtapmeet.a
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tapmeet: $(CLI_OBJ) $(BUILD)/libtapmeet-cli.a $(BUILD)/libtapmeet.a
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(CLI_PKG_LIBS)

$(BUILD)/libtapmeetd.a: $(DAEMON_LIB_OBJ)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(BUILD)/libtapmeetd.a $(BUILD)/libtapmeet-cli.a $(BUILD)/libtapmeet.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(shell $(PKG_CONFIG) --libs cmocka)

$(EMU_BIN): $(EMU_SRC) $(wildcard tests/pn532emu/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(CSTD) $(WARNINGS) $(OPT) $(SAN_FLAGS) -o $@ $(EMU_SRC) $(ALL_LDFLAGS) -lutil

# The test runner prints one line per test and a closing "N passed, N failed".
check: deps-quiet
	tests/check.sh

build-tests: $(UNIT_BINS) $(if $(EMU_SRC),$(EMU_BIN)) $(BUILD)/bench/crowd

check-unit: all $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

check-integration: all $(if $(EMU_SRC),$(EMU_BIN))
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run-integration.sh

# LEDs on the kernel's gpio-sim in a qemu VM (libgpiod v1 here, v2 in a trixie
# root), and the service under systemd in a VM. Fetches and caches what it needs.
check-hw: all
	BUILD=$(BUILD) tests/hw/run.sh
	tests/hw/build-v2.sh --vm
	$(if $(wildcard tests/vm-systemd/run.sh),BUILD=$(BUILD) tests/vm-systemd/run.sh)

# Dependencies first, then a fresh make that sees them through pkg-config.
run: deps-quiet
	@$(MAKE) --no-print-directory all
	@tests/demo.sh $(BUILD)

$(BUILD)/bench/tapbench: $(BUILD)/obj/bench/tapbench.o $(BUILD)/libtapmeet.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The crowd simulator: the engine against simulated people (docs/crowd.md).
$(BUILD)/bench/crowd: $(BUILD)/obj/bench/crowd.o $(BUILD)/libtapmeet.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The naive reference station that bench/speed.sh measures tapmeetd against:
# libnfc and SQLite only, none of the daemon's code.
NAIVE_BIN = $(if $(HAVE_LIBNFC),$(BUILD)/bench/naive_station)
$(BUILD)/bench/naive_station: bench/naive/naive_station.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) -Wall -Wextra -Werror $(CSTD) $(OPT) $(SAN_FLAGS) \
		$(shell $(PKG_CONFIG) --cflags libnfc sqlite3) -o $@ $< $(ALL_LDFLAGS) \
		$(shell $(PKG_CONFIG) --libs libnfc sqlite3)

bench: all $(BUILD)/bench/tapbench $(BUILD)/bench/crowd $(if $(EMU_SRC),$(EMU_BIN)) $(NAIVE_BIN)
	BUILD=$(BUILD) bench/run.sh

DEB_PACKAGES = build-essential pkg-config libsqlite3-dev sqlite3 libnfc-dev libnfc-bin \
	       libgpiod-dev gpiod libcmocka-dev libsystemd-dev libinih-dev valgrind \
	       libxml2-utils socat procps libssl-dev libnfc-examples python3 \
	       python3-networkx tzdata systemd libunistring-dev strace \
	       libgmime-3.0-dev msmtp python3-aiosmtpd chromium graphviz fonts-dejavu-core \
	       clang libclang-rt-14-dev time

deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -q && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 $(DEB_PACKAGES)

# Installs only when something is missing, so `make check` works offline once set up.
deps-quiet:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; $(MAKE) --no-print-directory deps; fi

# install and uninstall: mk/install.mk (binaries, unit, sysusers, tmpfiles, config, man pages).
include mk/install.mk
# fuzz and fuzz-build: mk/fuzz.mk (libFuzzer harnesses, docs/fuzzing.md).
include mk/fuzz.mk
# soak: mk/soak.mk (the conference-length soak, docs/soak.md).
include mk/soak.mk

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
.SECONDARY:
