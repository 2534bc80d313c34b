# handdigits developer commands.  On a fresh machine (python3 >= 3.10 with venv):
#
#   make demo    create .venv, install handdigits[dev] into it, classify the bundled samples
#   make test    run the test suite
#   make docs    build the documentation into site/ (mkdocs build --strict)
#   make bench   run the speed scripts in benchmarks/
#   make mutation  mutation testing of the pure modules (mutmut; minutes; not part of CI)
#   make dist    build the wheel and sdist into dist/ and check them with twine
#   make distcheck  install the wheel into a fresh venv, run the README quickstart,
#                `handdigits demo` and the sdist's fast tests against it (.ci/dist-check)
#   make clean   remove build outputs (make distclean also removes .venv)
#
# Variables: PYTHON (interpreter that creates the venv), PYTEST_ARGS, and
# NO_TESTS_OK=1 to accept pytest's exit code 5 ("no tests collected").

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
PIP_FLAGS ?= --progress-bar off --disable-pip-version-check --no-input
PYTEST_ARGS ?= -q -ra
NO_TESTS_OK ?=

.PHONY: all demo test docs bench mutation dist distcheck venv clean distclean help

all: test

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

# The stamp is rebuilt when pyproject.toml changes.  An existing .venv is reused
# when its interpreter runs; a broken one (e.g. copied from another machine) is
# recreated.
$(VENV)/.installed: pyproject.toml
	@if [ -x $(BIN)/python ] && $(BIN)/python -c "import sys, venv" 2>/dev/null; then \
		echo "reusing $(VENV)"; \
	else \
		rm -rf $(VENV); \
		echo "creating $(VENV) with $(PYTHON)"; \
		$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
			echo "'$(PYTHON) -m venv' failed: install Python's venv module (Debian/Ubuntu: python3-venv)" >&2; \
			exit 1; }; \
		$(PIP) install $(PIP_FLAGS) --upgrade pip; \
	fi
	$(PIP) install $(PIP_FLAGS) -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

demo: venv
	$(BIN)/handdigits demo

test: venv
	@rc=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then \
		echo "make test: pytest collected no tests (exit code 5)"; \
		if [ -n "$(NO_TESTS_OK)" ]; then rc=0; fi; \
	fi; \
	exit $$rc

docs: venv
	$(BIN)/mkdocs build --strict --site-dir site

bench: venv
	@set -e; for script in benchmarks/*.py; do \
		echo "== $$script"; \
		$(BIN)/python $$script; \
	done

# Mutants of the modules listed under [tool.handdigits.mutation.modules] in pyproject.toml,
# one mutmut run per module against that module's own tests (scripts/mutation.py, results in
# build/mutation/<module>/); prints the score per module and the survivors.
# MUTATION_JOBS: parallel workers; MUTATION_MIN: fail below this score (percent);
# MUTATION_MODULES: some modules only (e.g. "idx validation"); MUTATION_SAMPLE=N: a random
# sample of N mutants per module, drawn with MUTATION_SEED.
MUTATION_JOBS ?= 2
MUTATION_MIN ?= 90
MUTATION_MODULES ?=
MUTATION_SAMPLE ?= 0
MUTATION_SEED ?= 19
mutation: venv
	@test -x $(BIN)/mutmut || $(PIP) install $(PIP_FLAGS) -e '.[mutation]'
	$(BIN)/python scripts/mutation.py --jobs $(MUTATION_JOBS) --min $(MUTATION_MIN) \
		--sample $(MUTATION_SAMPLE) --seed $(MUTATION_SEED) $(MUTATION_MODULES)

dist: venv
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

distcheck: dist
	PYTHON=$(PYTHON) .ci/dist-check dist

clean:
	rm -rf site build dist .pytest_cache .hypothesis src/*.egg-info mutants mutmut.log
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
