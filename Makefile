# Two entry points, each doing its own setup on a fresh clone:
#   make compare   -> python scripts/compare.py --n 2000 (all backends, 5 cold runs each)
#   make test      -> the test suite (real backends, tiny settings)
# Python 3.12 is required (see .python-version); the venv lives in .venv/.

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ARGS   ?=

# First Python 3.12 found: pyenv's 3.12.1, then python3.12 on PATH.
PYTHON312 := $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12.1/bin/python3.12) \
                         $(shell command -v python3.12 2>/dev/null))

.PHONY: compare test test-all setup clean

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON312)" ]; then echo "Python 3.12 not found: install it (pyenv install 3.12.1)"; exit 1; fi
	$(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

compare: $(STAMP)
	$(PY) scripts/compare.py --n 2000 $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -m "slow or not slow" -n 2 --dist loadgroup $(ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow" $(ARGS)

clean:
	rm -rf $(VENV) reports/logs .pytest_cache
