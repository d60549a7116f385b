# The two commands a newcomer needs: `make run` and `make test`. Both start with `make install`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-requirements.lock

.PHONY: install run test lint lock bench clean

install: $(STAMP)

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)" % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements.lock
	@touch $@

run: install
	@bin/run-portal

# `make test ARGS='-k trade'` passes ARGS on to pytest.
test: install
	@bin/run-tests $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-pin every package after editing requirements.in.
lock:
	rm -rf $(VENV)-lock && $(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/pip install --disable-pip-version-check --quiet -r requirements.in
	{ echo "# Exact versions of every package, direct and indirect. Regenerate after editing requirements.in:"; \
	  echo "#   make lock"; $(VENV)-lock/bin/pip freeze | sort -f; } > requirements.lock
	rm -rf $(VENV)-lock

bench: install
	@status=0; for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || status=1; done; exit $$status

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
