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

.PHONY: demo serve test test-postgres bench setup system-packages test-packages messages clean

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
