# One-command set-up: `make demo` and `make test` bootstrap everything they need.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The demo needs only the CLI and its runtime dependencies; the tests add pytest, pyspark, ...
RUNTIME_STAMP := $(VENV)/.installed-runtime
WHEEL_DIR := build/dist
WHEEL_VENV := build/wheel-venv
# Debian packages the tests use: a JDK (Spark, keytool, differential tests), openssl and nginx
# (TLS endpoints), sslscan (reference scanner), softhsm2 + opensc (PKCS#11), chromium (HTML report).
DEB_PACKAGES := default-jdk-headless openssl nginx sslscan softhsm2 opensc chromium ceph-common etcd-server
DEB_COMMANDS := java keytool openssl nginx sslscan softhsm2-util pkcs11-tool chromium ceph-conf ceph-authtool etcd

.PHONY: all bootstrap system-packages venv runtime test lint typecheck pytest fuzz wheel demo docs bench clean

all: test

bootstrap: system-packages venv

system-packages:
	@missing=""; for c in $(DEB_COMMANDS); do command -v $$c >/dev/null 2>&1 || [ -x /usr/sbin/$$c ] || missing="$$missing $$c"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian packages (missing:$$missing)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PACKAGES) >/dev/null; \
	  else \
	    echo "not root: cannot install$$missing; tests that need them are skipped (or fail under CI=true)"; \
	  fi; \
	fi

venv: $(STAMP)

runtime: $(RUNTIME_STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,test]'
	touch $(STAMP) $(RUNTIME_STAMP)

$(RUNTIME_STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $(RUNTIME_STAMP)

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: venv
	$(BIN)/mypy

pytest: bootstrap
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest -q -p no:cacheprovider

# The package as users get it: an sdist and a wheel that twine accepts, the wheel installed in a
# fresh virtualenv (runtime dependencies only) running outside the source tree.
wheel: venv
	rm -rf $(WHEEL_DIR) $(WHEEL_VENV)
	$(PY) -m build --outdir $(WHEEL_DIR) . >/dev/null
	$(BIN)/twine check --strict $(WHEEL_DIR)/*
	python3 -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install -q $(WHEEL_DIR)/*.whl
	@# Once (stop 13) pip exited 0 having installed the dependencies but not the wheel itself:
	@# say so, and install the wheel alone again, rather than fail on a missing script.
	@test -x $(WHEEL_VENV)/bin/triplock || { echo "pip left the wheel uninstalled; installing it again"; \
		$(WHEEL_VENV)/bin/pip install -q --no-deps --force-reinstall $(WHEEL_DIR)/*.whl; }
	cd build && wheel-venv/bin/triplock --version
	cd build && wheel-venv/bin/triplock rules >/dev/null
	cd build && wheel-venv/bin/triplock audit ../examples/spark-on-k8s/hardened --format table --fail-on medium >/dev/null
	@echo "wheel: $$(ls $(WHEEL_DIR)) built, checked and run from a fresh virtualenv"

test: bootstrap lint typecheck pytest wheel

# The fuzzer's long run (the suite runs a few hundred derandomized examples): a new random seed
# each time; FUZZ_EXAMPLES=N for more.
FUZZ_EXAMPLES ?= 20000
fuzz: bootstrap
	TRIPLOCK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) PATH=$(CURDIR)/$(BIN):$$PATH \
	  $(BIN)/pytest -q -p no:cacheprovider --timeout 0 tests/test_fuzz.py

docs: venv
	$(BIN)/triplock rules --format markdown > docs/rules.md

demo: runtime
	@echo "== triplock audit examples/spark-on-k8s/insecure"
	@$(BIN)/triplock audit examples/spark-on-k8s/insecure --format table; test $$? -le 1
	@echo
	@echo "== triplock audit examples/spark-on-k8s/hardened --fail-on medium"
	@$(BIN)/triplock audit examples/spark-on-k8s/hardened --format table --fail-on medium

bench: bootstrap
	$(PY) benchmarks/audit_speed.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache build *.egg-info src/*.egg-info
