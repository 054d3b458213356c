# Two entry points, each doing its own setup on a fresh clone:
#   make compare   -> python scripts/compare.py --n 2000 (the default backends, adaptive runs, cold and warm)
#   make test      -> the test suite (real backends, tiny settings; installs chromium for the
#                     dashboard's browser tests when run as root)
# Python 3.12 is required (see .python-version); the venv lives in .venv/.

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ARGS   ?=

# First Python 3.12 found: pyenv's 3.12.1, then python3.12 on PATH.
PYTHON312 := $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12.1/bin/python3.12) \
                         $(shell command -v python3.12 2>/dev/null))

.PHONY: compare test test-fast setup browser clean

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON312)" ]; then echo "Python 3.12 not found: install it (pyenv install 3.12.1)"; exit 1; fi
	$(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

compare: $(STAMP)
	$(PY) scripts/compare.py --n 2000 $(ARGS)

# The dashboard's browser tests drive Debian's chromium (Playwright's own download cannot
# happen on machines without internet): installed with apt when missing and run as root.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium for the browser tests (apt-get)"; \
		apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; \
	else \
		echo "note: the browser tests need Chromium: sudo apt-get install chromium (or set SAMPLERBENCH_CHROMIUM)"; \
	fi

test: $(STAMP) browser
	$(PY) -m pytest -m "slow or not slow" -n 2 --dist loadgroup --durations=30 $(ARGS)

# The inner loop: the tests not marked slow, on the same two grouped workers as `make test`.
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow" -n 2 --dist loadgroup $(ARGS)

clean:
	rm -rf $(VENV) reports/logs reports/test-artifacts .pytest_cache
