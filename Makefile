# The two commands a newcomer needs: `make run` and `make test`. Both start with `make install`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-requirements

.PHONY: install run test lint lock bench clean

install: $(STAMP)

# .venv gets requirements/dev.txt: base.txt's pins plus the test and lint tools.
$(STAMP): requirements/base.txt requirements/dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)" % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements/dev.txt
	@touch $@

run: install
	@bin/run-portal

# `make test ARGS='-k trade'` passes ARGS on to pytest.
test: install
	@bin/run-tests $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-compile both locks after editing requirements/base.in or dev.in; pins already there stay unless
# LOCK_ARGS says otherwise (`make lock LOCK_ARGS='--upgrade-package django'`, or `--upgrade`).
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: install
	$(PIP_COMPILE) requirements/base.in
	$(PIP_COMPILE) requirements/dev.in

bench: install
	@status=0; for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || status=1; done; exit $$status

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
