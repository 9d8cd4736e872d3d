# netflow: PostgreSQL extension that collects NetFlow v5/v9/IPFIX into
# partitioned tables and analyses flows in SQL.  Built with PGXS.

EXTENSION = netflow
# The version in development.  Released versions' install scripts are frozen
# in sql/ (sql/netflow--X.sql, never edited); each later version adds an
# upgrade script sql/netflow--X--Y.sql.  See docs/development.md, "Releasing".
EXTVERSION = 0.2
MODULE_big = netflow

# One folder per concern: decode (plain C), flow, collector, analytics,
# partitions; src/netflow.c is the module's entry point.
SRC_DIRS = decode flow collector analytics partitions rollups storage
SRCS = $(sort $(wildcard src/*.c) $(foreach d,$(SRC_DIRS),$(wildcard src/$(d)/*.c)))
OBJS = $(SRCS:.c=.o)

# The current version's install script is assembled from sql/parts/ (one
# file per subject); released versions' frozen scripts and every upgrade
# script are installed as they are.
SQL_PARTS = $(sort $(wildcard sql/parts/*.sql))
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA = $(filter-out $(DATA_built), $(wildcard sql/$(EXTENSION)--*.sql))

PG_CPPFLAGS = -I$(srcdir)/src $(foreach d,$(SRC_DIRS),-I$(srcdir)/src/$(d))
# PostgreSQL's own headers need these two relaxed under -Wextra.
# The batch codec of compressed partitions (src/storage) uses zstd.
SHLIB_LINK = -lzstd
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
ifdef NETFLOW_WERROR
PG_CFLAGS += -Werror
endif

# pg_regress: test/sql/*.sql against expected/*.out (test/expected links there).
REGRESS = $(sort $(notdir $(basename $(wildcard test/sql/*.sql))))
REGRESS_OPTS = --inputdir=test --load-extension=$(EXTENSION)

EXTRA_CLEAN = $(DATA_built) results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(DATA_built): $(SQL_PARTS)
	cat $^ > $@

.PHONY: bench test run print-regress
test:
	bash scripts/test.sh
bench:
	bash scripts/bench.sh
run:
	bash scripts/run.sh

# Used by scripts/test.sh to list the pg_regress tests.
print-regress:
	@echo $(REGRESS)

# PGXS does not track header dependencies: rebuild every object when any
# header changes.
$(OBJS): $(wildcard src/*.h src/*/*.h)
