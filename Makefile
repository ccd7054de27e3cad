# wxa_fdw — PGXS build. `make`, `make install`, then the tests: see README.md.

MODULE_big = wxa_fdw
include $(dir $(lastword $(MAKEFILE_LIST)))src/core/sources.mk
CORE_OBJS = $(WXA_CORE_SOURCES:%.c=src/core/%.o)
OBJS = src/wxa_fdw.o src/scan_plan.o src/scan_exec.o src/table_reader.o src/reader_memo.o src/scan_async.o src/scan_explain.o src/period_store.o src/option.o src/token_cache.o src/errors.o src/quals.o \
       src/import.o src/functions.o src/code_batch.o src/quota.o src/decrypt.o src/wait.o src/batched_join.o \
       src/calendar.o src/scan_lazy.o src/unpublished.o \
       src/store_owner.o src/store_persist.o src/store_admin.o src/stats.o \
       $(CORE_OBJS)
# the request engine's life in a backend (issue 20)
OBJS += src/engine_life.o

EXTENSION = wxa_fdw
DATA = wxa_fdw--1.0.sql wxa_fdw--1.1.sql wxa_fdw--1.0--1.1.sql wxa_fdw--1.1--1.2.sql
PGFILEDESC = "wxa_fdw - WeChat mini-program API foreign-data wrapper"

# pg_regress suites: sql/NAME.sql, expected/NAME.out (the PGXS convention)
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --load-extension=wxa_fdw

PG_CPPFLAGS = -I$(srcdir)/src $(shell pkg-config --cflags libcurl libcjson 2>/dev/null)
SHLIB_LINK = $(shell pkg-config --libs libcurl libcjson libcrypto 2>/dev/null || echo -lcurl -lcjson -lcrypto)
# WERROR=1 (CI) turns every warning into an error
ifeq ($(WERROR),1)
PG_CFLAGS += -Werror
endif

# objects depend on the headers they include (PGXS rebuilds only on .c changes otherwise:
# a changed struct in a header left stale objects behind)
override autodepend = yes

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# `make installcheck` starts the WeChat emulator the suites talk to (unless
# WXA_EMULATOR_PORT already names a running one) and stops it afterwards.
pg_regress_installcheck = $(srcdir)/test/with-emulator $(top_builddir)/src/test/regress/pg_regress \
    --inputdir=$(srcdir) --bindir='$(bindir)' $(pg_regress_locale_flags) $(EXTRA_REGRESS_OPTS)

.PHONY: unit-test test fuzz
unit-test:
	$(MAKE) -C test/unit run

# libFuzzer on each target of fuzz/ for FUZZ_SECONDS (needs clang; README.md, "Hardening")
FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) -C fuzz fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

test:
	test/run-tests
