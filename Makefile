# pressmon — build, test, demo. `make help` lists the targets.
# Dependencies come from Debian: `make deps` installs what is missing.

CC       ?= cc
BUILD    ?= build
SANITIZE ?=
PREFIX   ?= /usr/local

PKGS := libcurl libxml-2.0 libutf8proc hiredis sqlite3 jansson libxxhash libmicrohttpd uchardet

# Missing Debian packages are installed before anything else is decided:
# the compiler flags below come from pkg-config and need them in place.
ifeq ($(filter deps clean help,$(MAKECMDGOALS)),)
DEPS_STATUS := $(shell scripts/deps.sh check >&2; echo $$?)
ifneq ($(DEPS_STATUS),0)
$(error missing Debian packages could not be installed; see the messages above or run 'make deps')
endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Wstrict-prototypes -Wwrite-strings -Wvla -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -I. $(PKG_CFLAGS) -MMD -MP
LDLIBS  += $(PKG_LIBS) -lm -lpthread

ifeq ($(FUZZ),1)
# libFuzzer instruments the library; only the fuzz binaries link its main.
# Undefined behaviour stops a fuzz run as a crash does: with UBSan's
# default recovery it was printed and the run went on to say "ok".
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# compile on every core; a sub-make shares the parent's job slots
ifeq ($(MAKELEVEL),0)
MAKEFLAGS += --jobs=$(shell nproc 2>/dev/null || echo 2)
endif

MODULES  := core queue fetch parse classify archive report cli
LIB_SRC  := $(filter-out cli/main.c,$(sort $(wildcard $(addsuffix /*.c,$(MODULES)))))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libpressmon.a
BIN      := $(BUILD)/pressmon
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
REPLAY_BIN := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)
FUZZ_BIN   := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_SECONDS ?= 60
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: build-clang fuzz fuzz-build all deps test test-unit test-asan demo bench eval \
	conformance check-deps hdr-check clean install help fuzz

all: $(BIN)
ifeq ($(BUILD),build)
	@ln -sf build/pressmon pressmon
endif

help:
	@echo "make            build build/pressmon (and ./pressmon)"
	@echo "make deps       install missing Debian packages (apt-get)"
	@echo "make demo       run the whole pipeline on samples/, write the digest"
	@echo "make test       unit, integration and end-to-end tests"
	@echo "make test-asan  the same under AddressSanitizer + UBSan"
	@echo "make build-clang  build everything with clang as well"
	@echo "make conformance  score the parser on ../shared/corpora"
	@echo "make bench      benchmarks (with peers where one exists)"
	@echo "make eval       classifier precision/recall/F1 on the labelled set tests/classify/"
	@echo "make fuzz       libFuzzer on every target (FUZZ_SECONDS=60 each, clang)"
	@echo "make check-deps fail on an include that breaks the module layering"
	@echo "make hdr-check  every header compiles on its own"

deps:
	@scripts/deps.sh install

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# The tokenizer's table for two-byte code points, made from the installed
# utf8proc so that it always agrees with the library (core/gen/foldtab.c).
$(BUILD)/gen/foldtab: $(BUILD)/core/gen/foldtab.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/gen/core/foldtab.inc: $(BUILD)/gen/foldtab
	@mkdir -p $(@D)
	$< >$@.tmp && mv $@.tmp $@

$(BUILD)/core/text.o: $(BUILD)/gen/core/foldtab.inc
$(BUILD)/core/text.o: CFLAGS += -I$(BUILD)/gen

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(BUILD)/cli/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Hyperscan is the peer of the rules benchmark only: pressmon never links it.
HS_LIBS := $(shell pkg-config --libs libhs 2>/dev/null)
$(BUILD)/bench/bench_rules.o: CFLAGS += $(if $(HS_LIBS),-DHAVE_HS)
$(BUILD)/bench/bench_rules: LDLIBS += $(HS_LIBS)

$(BUILD)/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/driver.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

test: all $(TEST_BIN) $(REPLAY_BIN) check-deps
	@BUILD=$(BUILD) tests/run.sh

fuzz:
	$(MAKE) CC=clang FUZZ=1 BUILD=build-fuzz fuzz-build
	@scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

fuzz-build: $(FUZZ_BIN)

test-unit: all $(TEST_BIN)
	@BUILD=$(BUILD) tests/run.sh unit

test-asan:
	$(MAKE) SANITIZE=1 BUILD=build-asan test

# everything (binary, tests, benchmarks, fuzz replays) must build clean with clang too
build-clang:
	$(MAKE) CC=clang BUILD=build-clang all $(TEST_BIN:$(BUILD)/%=build-clang/%) \
		$(BENCH_BIN:$(BUILD)/%=build-clang/%) $(REPLAY_BIN:$(BUILD)/%=build-clang/%)

demo: all
	@scripts/demo.sh

bench: all $(BENCH_BIN)
	@BUILD=$(BUILD) bench/run.sh

conformance: all
	@scripts/conformance.sh $(BIN)

eval: all
	@PRESSMON_BIN=$(CURDIR)/$(BIN) python3 tests/classify/eval.py

check-deps:
	@scripts/check-deps.sh

hdr-check:
	@for h in $$(git ls-files '*.h'); do \
		echo "#include \"$$h\"" | $(CC) $(CFLAGS) -x c -fsyntax-only - || exit 1; \
	done; echo "hdr-check: all headers compile alone"

install: all
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/pressmon
	install -d $(DESTDIR)$(PREFIX)/share/pressmon/rules $(DESTDIR)$(PREFIX)/share/doc/pressmon
	install -m 0644 classify/rules/*.rules $(DESTDIR)$(PREFIX)/share/pressmon/rules/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/pressmon/

clean:
	rm -rf build build-asan build-clang build-fuzz pressmon

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# keep objects of pattern rules (tests, fuzz targets) between runs
.SECONDARY:
