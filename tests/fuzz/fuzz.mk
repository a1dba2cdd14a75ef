# Fuzz targets (issue 10, item 15), included from the top-level Makefile.
#
#   make fuzz        every target for FUZZ_SECONDS (default 60) each, from the
#                    committed seeds; prints the executions per target
#   make fuzz-smoke  the same, 10 s each (in make test)
#   make fuzz-bins   only build them
#
# libFuzzer (clang) with ASan and UBSan. The library is compiled again with
# the fuzzer's instrumentation into $(FUZZ_OUT), apart from the normal build.
# New inputs go to $(FUZZ_OUT)/corpus/<x>, crashes to $(FUZZ_OUT)/crashes/;
# a crash found is fixed and its input committed to tests/fuzz/corpus/<x>/.

FUZZ_DIR := tests/fuzz
FUZZ_OUT := $(OUTPUT)/fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# clang warns about vfprintf(fmt) wrappers where gcc (the normal build) does not
FUZZ_CFLAGS := -O1 -g $(filter-out -O2 -g,$(CFLAGS)) -Wno-format-nonliteral $(FUZZ_SAN)
FUZZ_NAMES := $(patsubst $(FUZZ_DIR)/fuzz_%.c,%,$(wildcard $(FUZZ_DIR)/fuzz_*.c))
FUZZ_BINS := $(patsubst %,$(FUZZ_OUT)/fuzz_%,$(FUZZ_NAMES))
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_OUT)/%.o,$(USER_SRCS))
FUZZ_LIB := $(FUZZ_OUT)/libsockscope.a

.PHONY: fuzz fuzz-smoke fuzz-bins

$(FUZZ_OUT)/user/%.o: user/%.c Makefile $(FUZZ_DIR)/fuzz.mk | $(SKELS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_OUT)/fuzz_%: $(FUZZ_DIR)/fuzz_%.c $(FUZZ_LIB) $(FUZZ_DIR)/fuzz.mk
	$(call msg,CC-FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB) $(LDLIBS) -o $@

fuzz-bins: $(FUZZ_BINS)

fuzz: fuzz-bins
	$(Q)sh $(FUZZ_DIR)/run.sh $(FUZZ_SECONDS) $(FUZZ_OUT) $(FUZZ_NAMES)

fuzz-smoke: fuzz-bins
	$(Q)sh $(FUZZ_DIR)/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_OUT) $(FUZZ_NAMES)
