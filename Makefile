# FDHT-DSE - design-space exploration for HT-decomposed LSTMs and their
# accelerators.  `make run` and `make test` do all set-up on a fresh Debian
# machine (see README.md).  Sources are picked up by wildcard:
# costmodel/tensor/, costmodel/accel/, mapper/, dse/io/ and dse/cmd/ (all but
# dse/cmd/main.c) form one static library that the `dse` binary and every tests/test_*.c
# program link against.

PREFIX  ?= /usr/local
CC      ?= cc
OPT     ?= -O2 -g
# Each layer's include path says what it may include; a header of a layer
# above is not found, so including one fails the build:
#   costmodel/tensor/  tensor algebra and numerics   itself only
#   costmodel/accel/   the accelerator model         tensor, accel
#   mapper/            the design space and search   tensor, accel, mapper
#   dse/io/            files, YAML, SQLite, data      tensor, accel, mapper, io
#   dse/cmd/, tests/   the commands, tests           everything
INC_TENSOR := -Icostmodel/tensor
INC_ACCEL  := $(INC_TENSOR) -Icostmodel/accel
INC_MAPPER := $(INC_ACCEL) -Imapper
INC_IO     := $(INC_MAPPER) -Idse/io
INC_ALL    := $(INC_IO) -Idse/cmd
CFLAGS_BASE = -std=c11 $(OPT) -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
              -DFDHT_PREFIX='"$(PREFIX)"' $(EXTRA_CFLAGS)
CFLAGS_ALL = $(CFLAGS_BASE) $(INC_ALL)
LDLIBS  = -lyaml -lsqlite3 -llapack -lblas -lz -lm -pthread $(EXTRA_LDLIBS)
BUILD   ?= build

LIB_SRC  := $(wildcard costmodel/tensor/*.c costmodel/accel/*.c) $(wildcard mapper/*.c) \
            $(wildcard dse/io/*.c) $(filter-out dse/cmd/main.c,$(wildcard dse/cmd/*.c))
# Files of schemas/ compiled in as C strings: schemas/results.sql becomes
# `const char embed_results_sql[]` (see tools/embed.sh).
EMBED_SRC := $(wildcard schemas/*.sql schemas/*.yaml)
# dse reproduce's calibration sweeps (dse/cmd/repro.c loads them by name).
EMBED_SRC += $(wildcard schemas/reproduce/*.yaml)
EMBED_OBJ := $(foreach f,$(EMBED_SRC),$(BUILD)/gen/embed_$(subst -,_,$(subst .,_,$(notdir $(f)))).o)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(EMBED_OBJ)
HDRS     := $(wildcard costmodel/tensor/*.h costmodel/accel/*.h mapper/*.h dse/io/*.h dse/cmd/*.h)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard tests/bench_*.c)
BENCH_BIN := $(BENCH_SRC:tests/%.c=$(BUILD)/tests/%)

# Debian packages the build, the tests and the plots need.
DEB_PKGS = gcc make libsqlite3-dev sqlite3 libyaml-dev libcmocka-dev parallel \
           liblapack-dev libopenblas-dev gnuplot-nox clang libclang-rt-14-dev valgrind rsync \
           zlib1g-dev dataset-fashion-mnist

.PHONY: all deps run test check valgrind bench clean install plots fuzz reproduce

all: $(BUILD)/dse

# The include path of an object or header check: its layer's (see above).
INC = $(INC_ALL)
$(BUILD)/obj/costmodel/tensor/%.o $(BUILD)/obj-dbl/costmodel/tensor/%.o \
  $(BUILD)/hdr/costmodel/tensor/%.ok: INC = $(INC_TENSOR)
$(BUILD)/obj/costmodel/accel/%.o $(BUILD)/hdr/costmodel/accel/%.ok: INC = $(INC_ACCEL)
$(BUILD)/obj/mapper/%.o $(BUILD)/hdr/mapper/%.ok: INC = $(INC_MAPPER)
$(BUILD)/obj/dse/io/%.o $(BUILD)/hdr/dse/io/%.ok: INC = $(INC_IO)

# Each object depends on the headers it includes (-MMD -MP writes the .d files).
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(INC) -MMD -MP -c $< -o $@

# Every header below dse/cmd/ compiles on its own with its layer's include path,
# so that one no source of its layer includes cannot reach above it either.
HDR_CHECK := $(patsubst %.h,$(BUILD)/hdr/%.ok,$(wildcard costmodel/tensor/*.h \
               costmodel/accel/*.h mapper/*.h dse/io/*.h))
$(BUILD)/hdr/%.ok: %.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(INC) -MMD -MP -MT $@ -MF $(@:.ok=.d) -fsyntax-only -x c $<
	@touch $@

define embed_rule
$(BUILD)/gen/embed_$(subst -,_,$(subst .,_,$(notdir $(1)))).c: $(1) tools/embed.sh
	@mkdir -p $$(dir $$@)
	sh tools/embed.sh embed_$(subst -,_,$(subst .,_,$(notdir $(1)))) $$< > $$@
endef
$(foreach f,$(EMBED_SRC),$(eval $(call embed_rule,$(f))))

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libfdht.a: $(LIB_OBJ) | $(HDR_CHECK)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/dse: $(BUILD)/obj/dse/cmd/main.o $(BUILD)/libfdht.a
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libfdht.a $(HDRS) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests -o $@ $< $(BUILD)/libfdht.a $(LDLIBS) -lcmocka

# The trainer's numerics in double precision (tn_real = double), for the
# gradient checks of tests/test_train_grad.c: the same sources as the
# library's single-precision objects, which the test then does not pull in.
TN_SRC     := $(wildcard costmodel/tensor/tn*.c costmodel/tensor/tr_*.c)
TN_DBL_OBJ := $(TN_SRC:%.c=$(BUILD)/obj-dbl/%.o)
$(BUILD)/obj-dbl/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(INC) -MMD -MP -DTN_DOUBLE -c $< -o $@
$(BUILD)/tests/test_train_grad: tests/test_train_grad.c $(TN_DBL_OBJ) $(BUILD)/libfdht.a $(HDRS) tests/test_util.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DTN_DOUBLE -Itests -o $@ $< $(TN_DBL_OBJ) $(BUILD)/libfdht.a $(LDLIBS) -lcmocka

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/dse/cmd/main.d $(TN_DBL_OBJ:.o=.d) $(HDR_CHECK:.ok=.d)

# Install what is missing (apt-get as root); otherwise say what to run.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	else \
	  echo "deps: missing packages:$$missing"; \
	  echo "deps: run: sudo apt-get update && sudo apt-get install -y$$missing"; \
	  exit 1; \
	fi

run: deps
	@$(MAKE) --no-print-directory all
	@sh tools/run_default.sh $(BUILD)/dse

test: deps
	@$(MAKE) --no-print-directory all $(TEST_BIN)
	@DSE_BIN=$(BUILD)/dse sh tests/run_tests.sh $(TEST_BIN)

# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer.
check: deps
	@$(MAKE) --no-print-directory BUILD=build-san \
	  OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  all $(TEST_SRC:tests/%.c=build-san/tests/%)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 DSE_BIN=build-san/dse \
	  sh tests/run_tests.sh $(TEST_SRC:tests/%.c=build-san/tests/%)

# The whole test suite under valgrind memcheck (definite and indirect leaks
# are errors; tests/valgrind.supp silences only third-party internals), the
# dse processes the tests start included (DSE_WRAP, see tests/run_tests.sh)
# except in the two programs whose dse runs are minutes long under valgrind.
# The heavy tests shrink their sizes (FDHT_TEST_SCALE=small, test_util.h);
# OpenBLAS runs one thread with its SSE3 kernels, which valgrind emulates
# about 6x faster than the AVX2 ones.
VALGRIND_CMD = valgrind -q --error-exitcode=99 --leak-check=full \
  --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
  --suppressions=$(CURDIR)/tests/valgrind.supp
valgrind: deps
	@$(MAKE) --no-print-directory all $(TEST_BIN)
	@FDHT_TEST_SCALE=small OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Prescott \
	  DSE_BIN=$(BUILD)/dse VALGRIND="$(VALGRIND_CMD)" DSE_WRAP="$(VALGRIND_CMD)" \
	  DSE_WRAP_SKIP="test_reproduce test_repro_acc test_cli_run" sh tests/run_tests.sh $(TEST_BIN)

# The speed figures beside their targets (tools/bench.sh); never fails.
# BENCH_QUICK=1: figures 1-3 on one shard; BENCH_CALLGRIND=1: instructions/point.
bench: deps
	@$(MAKE) --no-print-directory -k all $(BENCH_BIN) || \
	  echo "bench: some programs did not build; their figures say so"
	@CC="$(CC)" OPT="$(OPT)" BUILD="$(BUILD)" bash tools/bench.sh || true

# Figures of results/dse.db (the default sweep runs first when it is missing).
plots: deps
	@$(MAKE) --no-print-directory all
	@sh plots/plots.sh $(BUILD)/dse results

# The paper's tables, published beside modeled, into results/.
reproduce: deps
	@$(MAKE) --no-print-directory all
	@$(BUILD)/dse reproduce

# libFuzzer harnesses of tests/fuzz/, FUZZ_SECONDS each (default 60).
FUZZ_SECONDS ?= 60
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tools/fuzz.sh

# The replay test includes the harness sources.
$(BUILD)/tests/test_fuzz_regress: $(wildcard tests/fuzz/*.c)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/dse $(DESTDIR)$(PREFIX)/bin/dse
	install -d $(DESTDIR)$(PREFIX)/share/fdht-dse/tech
	install -m 644 tech/*.yaml $(DESTDIR)$(PREFIX)/share/fdht-dse/tech

clean:
	rm -rf build build-san build-fuzz
