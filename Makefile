# Ngõ Số — two commands on a fresh Debian 12 machine:
#   make demo   set everything up, build the demo area (SQLite), serve it on http://127.0.0.1:8000
#   make test   the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SCALE  ?= commune
SEED   ?= 42
HOST   ?= 127.0.0.1
PORT   ?= 8000
export NGOSO_DATA_DIR ?= $(CURDIR)/var

# Debian packages: speech (espeak-ng, sox), translations (gettext), PDFs (fonts, Pango), browser tests (chromium).
RUN_DEBS  := espeak-ng sox libsox-fmt-all gettext fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0
TEST_DEBS := chromium redis-server
PG_DEBS   := postgresql redis-server

.PHONY: demo serve test test-postgres test-pgbouncer test-replica bench setup system-packages test-packages messages clean

demo: setup
	$(BIN)/ngoso demo --reset --scale $(SCALE) --seed $(SEED) --host $(HOST) --port $(PORT)

serve: setup
	$(BIN)/ngoso serve --host $(HOST) --port $(PORT)

test: setup test-packages
	$(BIN)/python -m pytest -n 2 -q

# The same suite on PostgreSQL 15 (Debian's), started here.
test-postgres: setup test-packages
	bash .ci/postgres.sh
	NGOSO_DATABASE_URL=postgres://ngoso:ngoso@127.0.0.1:5432/ngoso $(BIN)/python -m pytest -n 2 -q

# The suite behind PgBouncer in transaction mode (port 18711, in front of .ci/postgres.sh's server); the test
# databases are kept between runs (--reuse-db: PgBouncer holds server connections that a DROP DATABASE would wait
# for) and dropped first by .ci/pgbouncer.sh's caller here.
PGBOUNCER_URL := postgres://ngoso:ngoso@127.0.0.1:18711/ngoso?pooled=1
test-pgbouncer: setup test-packages
	bash .ci/postgres.sh
	bash .ci/pgbouncer.sh
	for d in test_ngoso test_ngoso_gw0 test_ngoso_gw1; do su postgres -c "dropdb --if-exists --force $$d"; done
	NGOSO_DATABASE_URL='$(PGBOUNCER_URL)' NGOSO_DATABASE_DIRECT_URL=postgres://ngoso:ngoso@127.0.0.1:5432 \
	  $(BIN)/python -m pytest -n 2 -q --reuse-db; rc=$$?; \
	  bash .ci/pgbouncer.sh stop; exit $$rc

# A primary (18709) and its streaming standby (18710, pg_basebackup -R): the real-replica tests and the tests of
# what reads through the router (dashboards, exports, reports, sync), then both clusters dropped.
REPLICA_TESTS := tests/core/test_db_replica.py tests/core/test_db_routing.py tests/insights/test_insights.py \
	tests/sync/test_sync.py tests/people/test_import_export.py tests/radio/test_radio.py
test-replica: setup test-packages
	bash .ci/replica.sh
	NGOSO_DATABASE_URL=postgres://ngoso:ngoso@127.0.0.1:18709/ngoso \
	  NGOSO_DATABASE_REPLICA_URL=postgres://ngoso:ngoso@127.0.0.1:18710/ngoso \
	  $(BIN)/python -m pytest -n 2 -q $(REPLICA_TESTS); rc=$$?; bash .ci/replica.sh drop; exit $$rc

bench: setup
	$(BIN)/python bench/run.py

setup: system-packages $(BIN)/.installed messages

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

system-packages:
	@missing=""; for p in $(RUN_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "apt-get install$$missing"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi

test-packages:
	@missing=""; for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "apt-get install$$missing"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi

# Compile the translations (.po -> .mo) with GNU gettext's msgfmt: the project's and each app's own
# (src/ngoso/<app>/locale), so apps keep their messages apart.
messages:
	@for po in $$(find src/ngoso -path '*/locale/*/LC_MESSAGES/*.po'); do msgfmt --check-format -o $${po%.po}.mo $$po || exit 1; done

clean:
	rm -rf var .pytest_cache
