# podreach — build with `make`; `make check` runs the whole suite under ASan/UBSan.
# Quiet unless V=1. WERROR=1 turns warnings into errors (CI sets it).

PKGS     := libnl-3.0 libnl-route-3.0 libmnl libnftnl libcurl libmicrohttpd jansson yaml-0.1 libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))

CC       ?= cc
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-unused-parameter -D_GNU_SOURCE -MMD -MP -I. $(PKG_CFLAGS)
ifeq ($(WERROR),1)
CFLAGS   += -Werror
endif
# libFuzzer targets (tests/fuzz): clang, coverage and ASan/UBSan in every object.
ifeq ($(FUZZ),1)
CC       := clang
BUILD    ?= build/fuzz
# gcc's -Werror build is the one that judges warnings; clang's own do not fail the fuzzers.
CFLAGS   := -O1 -g $(filter-out -O2 -g -Werror,$(CFLAGS)) -Wno-error \
            -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=fuzzer,address,undefined
endif
ifeq ($(SAN),1)
BUILD    ?= build/asan
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
else
BUILD    ?= build
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC  := $(filter-out agent/cli/main.c,$(wildcard agent/*/*.c)) $(wildcard netlink/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/agent/cli/main.o
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/bin/%)

PREFIX   ?= /usr/local

.PHONY: all tests check asan clean golden install fuzz fuzz-bins
all: $(BUILD)/podreach

$(BUILD)/podreach: $(MAIN_OBJ) $(BUILD)/libpodreach.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/libpodreach.a: $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libpodreach.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS) -lcmocka -lm
# The fake Kubernetes API of test_kwatch serves TLS itself.
$(BUILD)/tests/test_kwatch: TEST_LIBS += -lssl

tests: $(TEST_BIN) $(BUILD)/podreach

# /ui: agent/daemon/ui.html stays a plain HTML file to read and edit; this
# turns it into a C string literal (escape \, " and ? against trigraphs; one
# quoted line per line)
# with sed, so no tool beyond the build's own is needed.
$(BUILD)/gen/ui_html.h: agent/daemon/ui.html Makefile
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q){ echo 'static const char ui_html[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/\t"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } >$@.tmp && mv $@.tmp $@
$(BUILD)/obj/agent/daemon/matrix_fetch.o: $(BUILD)/gen/ui_html.h
$(BUILD)/obj/agent/daemon/matrix_fetch.o: CFLAGS += -I$(BUILD)/gen

# The sanitizer build is what the suite runs against.
asan:
	$(Q)$(MAKE) --no-print-directory SAN=1 all tests

check:
	$(Q)$(MAKE) --no-print-directory SAN=1 all tests
	$(Q)PODREACH=$(CURDIR)/build/asan/podreach UNIT_DIR=$(CURDIR)/build/asan/tests bash tests/run.sh

# The fuzz targets; tests/fuzz/run.sh SECONDS runs them (tests/e2e/fuzz.sh briefly).
fuzz:
	$(Q)$(MAKE) --no-print-directory FUZZ=1 fuzz-bins

fuzz-bins: $(FUZZ_BIN)
.SECONDARY: $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/obj/tests/fuzz/%.o)

# Only what the targets reach: the parsers, the core and peer.c's own I/O.
FUZZ_LIB_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(wildcard netlink/*.c agent/core/*.c \
                  agent/io/*.c) agent/daemon/peer.c)

build/fuzz/libfuzzlib.a: $(FUZZ_LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

build/fuzz/bin/%: build/fuzz/obj/tests/fuzz/%.o build/fuzz/libfuzzlib.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# Refresh the golden report files on purpose, after reviewing the diff.
golden: tests
	$(Q)$(BUILD)/tests/test_report --update-golden

# The binary and podreach(8); DESTDIR for staging.
install: $(BUILD)/podreach
	install -D -m 0755 $(BUILD)/podreach $(DESTDIR)$(PREFIX)/sbin/podreach
	install -D -m 0644 docs/podreach.8 $(DESTDIR)$(PREFIX)/share/man/man8/podreach.8

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
