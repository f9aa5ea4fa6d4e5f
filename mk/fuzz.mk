# Fuzz harnesses (tests/fuzz/, docs/fuzzing.md): libFuzzer with ASan and
# UBSan, which only clang has, over the project's own sources compiled
# again with clang into $(FUZZ_DIR) (the gcc-built archives have no
# coverage instrumentation).
#
#   make fuzz                   every target FUZZ_SECONDS (3600) in turn
#   make fuzz FUZZ_SECONDS=600 FUZZ_JOBS=2 FUZZ_TARGETS="csv config"
#   make fuzz-build             only the harnesses
#
# New corpus entries go to FUZZ_WORK, never into the repository; a crash is
# copied into tests/fuzz/regressions/<target>/, which `make check` replays.

FUZZ_CC      ?= clang
FUZZ_DIR     ?= $(BUILD)/fuzz
FUZZ_WORK    ?= $(FUZZ_DIR)/work
FUZZ_SECONDS ?= 3600
FUZZ_JOBS    ?= 1
FUZZ_ALL      = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)

FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS   = $(CSTD) -g -O1 $(FUZZ_SAN) -Iinclude -Icli -Itests/pn532emu $(PKG_CFLAGS) \
		$(CLI_PKG_CFLAGS) -MMD -MP
# The emulator's sources are built as $(EMU_BIN) is: without the project's defines.
FUZZ_DEFS     = $(DEFS)
# What the harnesses reach: everything but the programs' main()s and the
# hardware drivers. Archives, so each harness links only what it uses; the
# emulator's in one of its own (its log.o is not lib/log.o).
FUZZ_LIB_SRC  = $(CORE_SRC) $(STORE_SRC) $(LIB_SRC) drivers/reader_sim.c $(CLI_LIB_SRC) \
		cli/followup_template.c cli/followup_message.c cli/common.c cli/output.c
FUZZ_LIB_OBJ  = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_LIB_SRC))
FUZZ_EMU_OBJ  = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(filter-out tests/pn532emu/pn532emu.c,$(EMU_SRC)))
FUZZ_ARCHIVES = $(FUZZ_DIR)/libtapmeet-fuzz.a $(FUZZ_DIR)/libpn532emu-fuzz.a
FUZZ_BINS     = $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_ALL))

# Named here, so that make never takes them for intermediate files.
fuzz-build: $(FUZZ_LIB_OBJ) $(FUZZ_EMU_OBJ) $(FUZZ_ARCHIVES) $(FUZZ_BINS)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_DEFS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/obj/tests/pn532emu/%.o: FUZZ_DEFS =

$(FUZZ_DIR)/libtapmeet-fuzz.a: $(FUZZ_LIB_OBJ)
$(FUZZ_DIR)/libpn532emu-fuzz.a: $(FUZZ_EMU_OBJ)
$(FUZZ_ARCHIVES):
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

# Its header dependencies beside the objects', where the -include finds them.
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_ARCHIVES)
	@mkdir -p $(FUZZ_DIR)/obj/tests/fuzz
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -MF $(FUZZ_DIR)/obj/tests/fuzz/fuzz_$*.d -MT $@ $(DEFS) \
		-fsanitize=fuzzer -o $@ $< $(FUZZ_ARCHIVES) $(LIBS) $(CLI_PKG_LIBS) -ldl

fuzz: deps-quiet fuzz-build
	FUZZ_DIR=$(FUZZ_DIR) FUZZ_WORK=$(FUZZ_WORK) FUZZ_SECONDS=$(FUZZ_SECONDS) \
		FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run.sh $(FUZZ_TARGETS)

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
