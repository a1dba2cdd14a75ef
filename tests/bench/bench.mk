# Benchmarks (issues 4 and 9), included from the top-level Makefile.
#
#   make bench        install the peers (bench-deps), build, full run (~41 min with
#                     the two 10-min soaks): bench-results/report-<date>.md,
#                     results-<date>.json, a PNG
#   make bench-smoke  about a minute: asserts that the harness works end to end,
#                     every row runs and sockscope lost nothing (trace, 1 worker)
#                     or accounted for every record ("bench-smoke: N passed, N failed")
#   make bench-deps   apt-get the Debian packages the full run needs
#   make bench-soak   only the daemon soak (SQLite, rotating file sink, queries;
#                     SOAK_SECONDS, default 600): bench-results/soak-<date>.md
#
# BENCH_ARGS passes options to tests/bench/bench.py, e.g.
#   make bench BENCH_ARGS="--soak-secs 120"

BENCH_DIR := tests/bench
BENCH_OUT := $(OUTPUT)/bench
BENCH_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE
BENCH_GENS := $(addprefix $(BENCH_OUT)/,bind_cycle conn_cycle udp_cycle open_close fork_exit holder)
BENCH_BINS := $(BENCH_GENS) $(BENCH_OUT)/replay
# Debian's python3 (matplotlib comes from python3-matplotlib)
BENCH_PYTHON ?= $(if $(wildcard /usr/bin/python3),/usr/bin/python3,$(PYTHON))
BENCH_ARGS ?=
# the daemon soak's length in make bench / bench-soak (bench.py's default: 600 s)
SOAK_SECONDS ?=
SOAK_ARG := $(if $(SOAK_SECONDS),--daemon-soak-secs $(SOAK_SECONDS))
BENCH_NOT_SOAK := startup,throughput,saturated,sweep,snapshot,memory,soak,nonsocket,callgrind,diagnostics
BENCH_PKGS := libbpf-tools bpftrace auditd lsof python3-matplotlib valgrind \
	      iproute2 util-linux linux-perf bpftool

.PHONY: bench bench-smoke bench-soak bench-deps bench-bins

bench-bins: $(BENCH_BINS)

$(BENCH_OUT):
	$(Q)mkdir -p $@

$(BENCH_GENS): $(BENCH_OUT)/%: $(BENCH_DIR)/%.c $(BENCH_DIR)/gen.h $(BENCH_DIR)/bench.mk | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(BENCH_CFLAGS) $< -o $@

# Linked against the library ./sockscope is made of.
$(BENCH_OUT)/replay: $(BENCH_DIR)/replay.c $(LIB) $(BENCH_DIR)/bench.mk | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

bench-deps:
	$(Q)sh scripts/install-deps.sh $(BENCH_PKGS)

bench: deps bench-deps
	$(Q)$(MAKE) --no-print-directory sockscope bench-bins
	$(BENCH_PYTHON) $(BENCH_DIR)/bench.py $(SOAK_ARG) $(BENCH_ARGS)

bench-soak: deps
	$(Q)$(MAKE) --no-print-directory sockscope bench-bins
	$(BENCH_PYTHON) $(BENCH_DIR)/bench.py --tracers sockscope --quiet-budget 0 \
		--skip $(BENCH_NOT_SOAK) $(SOAK_ARG) $(BENCH_ARGS)

bench-smoke: deps
	$(Q)$(MAKE) --no-print-directory sockscope bench-bins
	$(BENCH_PYTHON) $(BENCH_DIR)/bench.py --smoke $(BENCH_ARGS)

# The daemon's database with a million rows: insert rate and query times
# (issue 5: queries well under a second). Printed, not asserted.
.PHONY: bench-store
bench-store:
	$(Q)$(MAKE) --no-print-directory $(OUTPUT)/unit/test_store_bench
	$(Q)SS_STORE_BENCH_ROWS=1000000 $(OUTPUT)/unit/test_store_bench 2>&1 | grep store-bench
