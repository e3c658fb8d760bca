# The README's two commands are `make run` and `make test`; .ci/run calls `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run demo test lint bench bench-oee bench-oms clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Install, load the demo plant into ./data/opslens.duckdb and serve on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/opslens db upgrade
	$(BIN)/opslens demo --if-empty
	$(BIN)/opslens serve

# Install everything the tests need and run the whole suite (DuckDB and a throwaway PostgreSQL)
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench.plant_analytics $(ARGS)

bench-oee: $(STAMP)
	$(BIN)/python -m bench.oee $(ARGS)

bench-oms: $(STAMP)
	$(BIN)/python -m bench.oms $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
