# sedgate: the two commands (`make demo`, `make test`) and a few more.
# Each target installs missing Debian packages first, so a fresh machine needs nothing else.

SWIFT ?= swift
# Debian packages sedgate builds against or tests with (pkg-config names in Package.swift).
APT_PACKAGES = pkg-config openssl libssl-dev libxml2-dev libxslt1-dev libxmlsec1-dev libxmlsec1-openssl \
               xmlsec1 libarchive-dev libsqlite3-dev zlib1g-dev python3 postgresql postfix
# The directory's LDAP view is tested against a real OpenLDAP server (DirectoryCommandTests).
APT_PACKAGES += slapd ldap-utils
# The console's passwords are hashed with Argon2id (libargon2).
APT_PACKAGES += libargon2-dev
BIN = .build/debug/sedgate

.PHONY: all deps build demo test lint format bench soak powercut fuzz clean

all: build

## deps: install missing system packages (apt-get; sudo when not root)
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

## build: compile sedgate (debug)
build: deps
	$(SWIFT) build

## demo: a CN and two APs on loopback (etc/demo), the sample SEDs crossing end to end
demo: build
	$(BIN) pki --directory etc/demo/pki --nodes CN,AP-BE,AP-DK
	$(BIN) demo --etc etc/demo --samples etc/samples

## test: lint, build everything, run every test (unit, in-process and end-to-end with real processes)
# At most TEST_WIDTH tests run at once: an end-to-end test runs three node processes, and dozens of them at once on
# two cores starve every test's deadline.
TEST_WIDTH ?= 4
test: deps lint
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	@! nm $(BIN) | grep -q 14SedgateTesting || { echo "$(BIN) links SedgateTesting; only sedgate-lab may"; exit 1; }
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_WIDTH) $(SWIFT) test --skip-build

## interop-venv: the Python access point's virtual environment (Tests/Interop, run by InteropTests): lxml and
## xmlsec from PyPI, pinned in Tests/Interop/requirements.txt. Each wheel bundles its own libxml2; should the two
## disagree (xmlsec then refuses to load), or PyPI be out of reach, the venv is remade on Debian's python3-lxml and python3-xmlsec, which
## share the system's libxml2. (Building the pinned lxml from source needs a newer Cython than PyPI serves here.)
INTEROP_PYTHON ?= /usr/bin/python3
INTEROP_VENV = .build/interop-venv
INTEROP_CHECK = import lxml.etree as e, xmlsec as x, sys; \
                sys.exit(hasattr(x, "get_libxml_version") and e.LIBXML_VERSION != x.get_libxml_version())
APT_PACKAGES += python3-venv python3-lxml python3-xmlsec
.PHONY: interop-venv
test: interop-venv
interop-venv: $(INTEROP_VENV)/.installed
$(INTEROP_VENV)/.installed: Tests/Interop/requirements.txt | deps
	rm -rf $(INTEROP_VENV) && $(INTEROP_PYTHON) -m venv $(INTEROP_VENV)
	{ $(INTEROP_VENV)/bin/pip install -q --disable-pip-version-check -r Tests/Interop/requirements.txt && \
	  $(INTEROP_VENV)/bin/python -c '$(INTEROP_CHECK)'; } || { \
	  echo "interop-venv: PyPI unreachable, or its lxml and xmlsec disagree on libxml2; using Debian's python3-lxml, python3-xmlsec"; \
	  rm -rf $(INTEROP_VENV) && $(INTEROP_PYTHON) -m venv --system-site-packages $(INTEROP_VENV) && \
	  $(INTEROP_VENV)/bin/python -c '$(INTEROP_CHECK)'; }
	$(INTEROP_VENV)/bin/python -c 'import lxml.etree as e, xmlsec as x; \
	  print("interop-venv: lxml", e.LXML_VERSION, "libxml2", e.LIBXML_VERSION, "xmlsec1", getattr(x, "get_libxmlsec_version", str)())'
	touch $@

## lint: swift-format in strict mode
lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

## format: rewrite sources in the house style
format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests

## bench: throughput and latency through a topology, sealing and packing speed, a 2 GB enclosure (release build)
bench: deps
	$(SWIFT) build -c release
	.build/release/sedgate bench --count 2000
	.build/release/sedgate bench pack
	.build/release/sedgate bench large --megabytes 2048 --restart
	.build/release/sedgate bench directory --institutions 100000
	.build/release/sedgate bench failover

## soak: the long forms: fault injection over 10,000 SEDs and 20 kills, the CN cluster's over 2,000 SEDs, 1,000
## power cuts over 3,000 SEDs, and 250,000 SEDs queued at the CN
soak: deps
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	SEDGATE_FAULT_BATCHES=100 SEDGATE_FAULT_KILLS=20 $(SWIFT) test --skip-build --filter randomKills
	SEDGATE_CLUSTER_SEDS=2000 $(SWIFT) test --skip-build --filter ClusterTests/killsAndFailover
	SEDGATE_POWERCUT_CUTS=1000 $(SWIFT) test --skip-build --filter PowerCutExchangeTests
	$(SWIFT) build -c release
	.build/release/sedgate bench capacity --count 250000

## powercut: the power-cut exchange alone (SEDGATE_POWERCUT_CUTS, default 60; LD_PRELOAD libSedgatePowerCut.so)
powercut: deps
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	SEDGATE_POWERCUT_CUTS=$${SEDGATE_POWERCUT_CUTS:-60} $(SWIFT) test --skip-build --filter PowerCutExchangeTests

## fuzz: coverage-guided fuzzing (libFuzzer + AddressSanitizer, Tests/Fuzz) of every parser of outside bytes, each
## target for FUZZ_SECONDS (1800); FUZZ_TARGETS picks some, FUZZ_JOBS runs several at once. A crash, a leak, an
## input slower than FUZZ_TIMEOUT s (10) or one needing over FUZZ_RSS_MB (2048) is a finding, in .build/fuzz/findings/
FUZZ_SECONDS ?= 1800
FUZZ_TARGETS ?= sed mtom soap wsse manifest mtf cff mapping toml batch-manifest archive
FUZZ_JOBS ?= 1
FUZZ_TIMEOUT ?= 10
FUZZ_RSS_MB ?= 2048
# `--sanitize=fuzzer` keeps libFuzzer's `main`; AddressSanitizer goes in through `-Xswiftc` because SwiftPM writes
# its sanitizers in a random order and swiftc keeps only the last `-sanitize=`: `--sanitize=address` as well left
# some builds without coverage, and changed every command line, so each build started again from nothing.
FUZZ_BUILD = SEDGATE_FUZZ=1 $(SWIFT) build -c release --scratch-path .build/fuzz --product SedgateFuzz \
             --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address
fuzz: deps
	$(FUZZ_BUILD)
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) FUZZ_RSS_MB=$(FUZZ_RSS_MB) \
	  Tests/Fuzz/fuzz.sh .build/fuzz/release/SedgateFuzz $(FUZZ_TARGETS)

## axe: axe-core's axe.min.js for the accessibility checks of the browser tests, into .build/axe/ (not committed).
## PyPI's axe-playwright-python wheel bundles it (only the file is taken: no Playwright, no browser download).
APT_PACKAGES += chromium chromium-driver python3-pip
AXE_WHEEL ?= axe-playwright-python==0.1.8
AXE_DIR = .build/axe
.PHONY: axe screenshots
test: axe
axe: $(AXE_DIR)/axe.min.js
$(AXE_DIR)/axe.min.js: | deps
	rm -rf $(AXE_DIR) && mkdir -p $(AXE_DIR)
	$(INTEROP_PYTHON) -m pip download -q --disable-pip-version-check --no-deps --dest $(AXE_DIR) '$(AXE_WHEEL)'
	cd $(AXE_DIR) && $(INTEROP_PYTHON) -c 'import glob, zipfile; z = zipfile.ZipFile(glob.glob("*.whl")[0]); \
	  name = next(n for n in z.namelist() if n.endswith("/axe.min.js")); open("axe.min.js", "wb").write(z.read(name))'
	@head -c 40 $@ | tr -d '/*!\n'; echo " in $@"

## screenshots: the browser tests (headless Chromium, Tests/BrowserTests), their screenshots kept in .build/screenshots
SCREENSHOTS ?= $(CURDIR)/.build/screenshots
screenshots: deps axe
	$(SWIFT) build --build-tests
	mkdir -p $(SCREENSHOTS)
	SEDGATE_SCREENSHOTS=$(SCREENSHOTS) $(SWIFT) test --skip-build --filter BrowserTests
	@ls $(SCREENSHOTS)

clean:
	rm -rf .build spool/cn spool/ap-be spool/ap-dk spool/*.log etc/demo/pki
