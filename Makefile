# `make demo` and `make test` work on a fresh clone: each creates .venv when missing and
# installs the project into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/python -m demosite demo

# The distributed-mode tests start their own redis-server; Debian's package provides it.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

test: $(INSTALLED) lint
	command -v redis-server >/dev/null || $(APT) install -y redis-server || ($(APT) update && $(APT) install -y redis-server)
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) demo-site demo.db demo.db-wal demo.db-shm demo.db.*.lock
