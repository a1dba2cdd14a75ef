# sockscope — build, run and test. `make help` lists the targets.

OUTPUT ?= .output
CC ?= gcc
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
PYTHON ?= python3

ARCH := $(shell uname -m)
BPF_ARCH := $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(ARCH)))
VMLINUX := vmlinux/$(ARCH)/vmlinux.h

# Quiet by default; V=1 shows the commands.
ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	  -D_GNU_SOURCE -Iinclude -Iuser -I$(OUTPUT) -MMD -MP
LDLIBS_BPF := -lbpf -lelf -lz
# The Kafka sink (user/output/sinks/kafka.c) links librdkafka.
RDKAFKA_LIBS := $(shell pkg-config --libs rdkafka 2>/dev/null || echo -lrdkafka)
LDLIBS_CORE := -lsqlite3 -lm $(RDKAFKA_LIBS)
LDLIBS := $(LDLIBS_BPF) $(LDLIBS_CORE)

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) \
	      -Iinclude -Ibpf -Ivmlinux/$(ARCH) -Wall -Werror -MMD -MP

# Every userspace module lives in a folder of user/ (see docs/ARCHITECTURE.md);
# all of them but main.c form libsockscope.a, which the binary, the unit
# tests and the replay benchmark link: one compilation of each module.
USER_SRCS := $(sort $(wildcard user/*/*.c user/*/*/*.c))
LIB_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(USER_SRCS))
LIB := $(OUTPUT)/libsockscope.a
ASAN_LIB_OBJS := $(patsubst %.c,$(OUTPUT)/asan/%.o,$(USER_SRCS))
ASAN_LIB := $(OUTPUT)/asan/libsockscope.a

BPF_NAMES := sockscope snapshot
SKELS := $(patsubst %,$(OUTPUT)/%.skel.h,$(BPF_NAMES))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/unit/%,$(UNIT_SRCS))
ASAN_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/asan/%,$(UNIT_SRCS))
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=all

.DELETE_ON_ERROR:
.PHONY: all deps run test unit unit-asan unit-valgrind integration \
	vmlinux format format-check clean help install uninstall

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= /etc/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
LOCALSTATEDIR ?= /var

all: sockscope

help:
	@echo "make            build ./sockscope"
	@echo "make run        install dependencies, build, start 'sockscope trace'"
	@echo "make test       install dependencies, build, run every test (and bench-smoke)"
	@echo "make bench      full benchmark vs tcplife/tcpstates/bpftrace/auditd (~35 min)"
	@echo "make unit       cmocka unit tests (also: unit-asan, unit-valgrind)"
	@echo "make fuzz       libFuzzer targets, FUZZ_SECONDS (60) each; fuzz-smoke: 10 s each"
	@echo "make integration  real-kernel tests (root, BPF)"
	@echo "make vmlinux    regenerate $(VMLINUX) from /sys/kernel/btf/vmlinux"
	@echo "make format     clang-format the sources (kernel style); format-check: only check"
	@echo "make install    binary, man page, systemd unit, example config (PREFIX, DESTDIR)"
	@echo "make deb        Debian package in $(OUTPUT)/deb/ (deb-check: lintian, install, purge)"

deps:
	$(Q)sh scripts/install-deps.sh

run: deps
	$(Q)$(MAKE) --no-print-directory sockscope
	./sockscope trace

test: deps
	$(Q)$(MAKE) --no-print-directory sockscope unit-bins asan-bins fuzz-bins
	$(Q)$(MAKE) --no-print-directory format-check unit unit-asan unit-valgrind fuzz-smoke integration \
		bench-smoke deb-check

$(OUTPUT) $(OUTPUT)/unit $(OUTPUT)/asan:
	$(Q)mkdir -p $@

# ---- BPF objects and skeletons ----
# A skeleton's object is linked (bpftool gen object) from the objects of its
# parts, compiled one per file: sockscope's programs live in one file per
# feature (bpf/sockscope.bpf.c defines the maps and settings they share).
SOCKSCOPE_BPF_PARTS := sockscope lifecycle holders udp_implicit seed identity
SNAPSHOT_BPF_PARTS := snapshot
BPF_PART_OBJS := $(patsubst %,$(OUTPUT)/bpf/%.bpf.o,\
		   $(SOCKSCOPE_BPF_PARTS) $(SNAPSHOT_BPF_PARTS))
BPF_LINKED_OBJS := $(patsubst %,$(OUTPUT)/%.bpf.o,$(BPF_NAMES))

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX) Makefile
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/sockscope.bpf.o: $(patsubst %,$(OUTPUT)/bpf/%.bpf.o,$(SOCKSCOPE_BPF_PARTS))
$(OUTPUT)/snapshot.bpf.o: $(patsubst %,$(OUTPUT)/bpf/%.bpf.o,$(SNAPSHOT_BPF_PARTS))
# Only the parts: a .d file left by an older build may add sources here.
$(BPF_LINKED_OBJS): | $(OUTPUT)
	$(call msg,BPF-LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $(filter $(OUTPUT)/bpf/%.bpf.o,$^)

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o | $(OUTPUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

.SECONDARY: $(BPF_PART_OBJS) $(BPF_LINKED_OBJS) $(SKELS)

# ---- userspace ----
# The skeletons must exist before the first compilation (order-only); after
# that an object depends, through its .d file, only on the skeleton it
# includes, so a BPF change rebuilds the loader, not every module.
$(OUTPUT)/user/%.o: user/%.c Makefile | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/asan/user/%.o: user/%.c Makefile | $(SKELS)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(ASAN_FLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(ASAN_LIB): $(ASAN_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

sockscope: $(OUTPUT)/user/main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -o $@

# ---- unit tests (cmocka), plain and with ASan/UBSan ----
.PHONY: unit-bins asan-bins
unit-bins: $(UNIT_BINS)
asan-bins: $(ASAN_BINS)

$(OUTPUT)/unit/%: tests/unit/%.c $(LIB) Makefile | $(OUTPUT)/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(LIB) -lcmocka $(LDLIBS) -o $@

$(OUTPUT)/asan/%: tests/unit/%.c $(ASAN_LIB) Makefile | $(OUTPUT)/asan
	$(call msg,CC-ASAN,$@)
	$(Q)$(CC) $(CFLAGS) $(ASAN_FLAGS) -Itests/unit $< $(ASAN_LIB) -lcmocka $(LDLIBS) -o $@

unit: $(UNIT_BINS)
	$(Q)sh tests/run-unit.sh plain $^

unit-asan: $(ASAN_BINS)
	$(Q)sh tests/run-unit.sh asan $^

unit-valgrind: $(UNIT_BINS)
	$(Q)sh tests/run-unit.sh valgrind $^

integration: sockscope $(OUTPUT)/kafka_fixture
	$(Q)$(PYTHON) tests/integration/run.py --binary ./sockscope

# librdkafka's mock cluster, for tests/integration/test_sink_kafka.py.
$(OUTPUT)/kafka_fixture: tests/integration/kafka_fixture.c Makefile | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(RDKAFKA_LIBS) -o $@

# ---- installation ----
# (the file names, not $(MAN_PAGE)/$(COMPLETION): packaging/package.mk, included
# below, defines those after this line is read)
install: sockscope $(OUTPUT)/sockscope.8 $(OUTPUT)/completion/sockscope
	install -D -m 0755 sockscope $(DESTDIR)$(SBINDIR)/sockscope
	install -D -m 0644 $(MAN_PAGE) $(DESTDIR)$(MANDIR)/man8/sockscope.8
	install -D -m 0644 $(COMPLETION) $(DESTDIR)$(COMPLETIONDIR)/sockscope
	install -d -m 0700 $(DESTDIR)$(LOCALSTATEDIR)/lib/sockscope
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/sockscope.service > $(DESTDIR)$(UNITDIR)/sockscope.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/sockscope.service
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/sockscope
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/sockscope/sockscope.conf ]; then \
		echo "  kept     $(DESTDIR)$(SYSCONFDIR)/sockscope/sockscope.conf"; \
	else \
		install -m 0644 packaging/sockscope.conf $(DESTDIR)$(SYSCONFDIR)/sockscope/sockscope.conf; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "installed; start with: systemctl enable --now sockscope (or: sockscope daemon)"

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/sockscope $(DESTDIR)$(MANDIR)/man8/sockscope.8 \
	      $(DESTDIR)$(UNITDIR)/sockscope.service $(DESTDIR)$(COMPLETIONDIR)/sockscope

# ---- maintenance ----
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX).tmp
	mv $(VMLINUX).tmp $(VMLINUX)
	@echo "regenerated $(VMLINUX) from kernel $$(uname -r); update vmlinux/README.md"

# Every C source and header we write (vmlinux.h is generated: not ours).
FORMAT_SRCS = $(sort $(wildcard bpf/*.c bpf/*.h include/*.h user/*.c user/*/*.[ch] \
	      user/*/*/*.[ch] tests/unit/*.[ch] tests/bench/*.[ch] tests/fuzz/*.c packaging/*.c))
format:
	clang-format -i $(FORMAT_SRCS)

# In make test: a file that clang-format would change fails, naming it.
format-check:
	$(call msg,FORMAT,check)
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)

clean:
	rm -rf $(OUTPUT) sockscope

-include $(shell find $(OUTPUT) -name '*.d' 2>/dev/null)
include tests/bench/bench.mk
include packaging/package.mk
include tests/fuzz/fuzz.mk
