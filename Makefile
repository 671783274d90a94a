# Sandra channel host. `make run` starts the host on embedded defaults (the Instagram
# sandbox included); `make test` runs the whole suite. Both install the Debian packages the
# build needs when they are missing.

SWIFT ?= swift
# cmark-gfm renders Markdown; libcurl (OpenSSL flavour) sends identity-linking emails over SMTP.
APT_PACKAGES := libcmark-gfm-dev libcmark-gfm-extensions-dev libcurl4-openssl-dev pkg-config
# The browser test drives the sandbox page in headless Chromium through Selenium; the SMTP
# tests run a real SMTP server (aiosmtpd) with a self-signed certificate (cryptography); the
# PostgreSQL store's tests start a throwaway PostgreSQL server of their own (postgresql: initdb,
# pg_ctl and the server, run as its `postgres` user when the tests run as root); gdb prints a
# stuck test run's thread stacks (Tests/Tools/watchdog.sh).
TEST_APT_PACKAGES := chromium chromium-driver python3-selenium python3-aiosmtpd python3-cryptography postgresql gdb
# `make bench` drives the host with wrk (HTTP load generator, LuaJIT scripts), measures it
# on PostgreSQL too, on a throwaway server it starts itself (postgresql: initdb, pg_ctl, psql),
# and counts its instructions per request and per message (valgrind: callgrind and
# callgrind_control; binutils: objcopy; gcc: the sigsuspend shim bench/instructions.py builds);
# its Python peer (pywa, from PyPI) goes into a throwaway virtualenv (python3-venv).
BENCH_APT_PACKAGES := wrk postgresql python3-venv valgrind binutils gcc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps test-deps build run test bench check-config clean

all: build

# Installs the Debian packages named in $(1) that are missing.
define apt_install
	@missing=""; \
	for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

## deps: install missing Debian packages (cmark-gfm for Markdown rendering, libcurl for SMTP)
deps:
	@command -v $(SWIFT) >/dev/null || { echo "Swift is required (https://www.swift.org/install/)"; exit 1; }
	$(call apt_install,$(APT_PACKAGES))

test-deps:
	$(call apt_install,$(TEST_APT_PACKAGES))

build: deps
	$(SWIFT) build --product sandra

## run: the host on embedded defaults; open the printed sandbox URL in a browser
run: build
	$$($(SWIFT) build --show-bin-path)/sandra serve

## test: the whole suite (unit and end-to-end) on a debug build, then the end-to-end tests
## (ChannelHostTests: the real host in-process and the real `sandra` process) again on a
## release build, the build people run: the optimizer exposes what debug builds hide. The
## release build is compiled with -enable-testing (the tests reach internals), in its own
## folder (RELEASE_SCRATCH). A normal run takes about a minute per build after building; one
## still going after TEST_TIME_LIMIT seconds is stuck: Tests/Tools/watchdog.sh then prints the
## test process's thread stacks and fails the run.
TEST_TIME_LIMIT ?= 1200
RELEASE_SCRATCH ?= .build-release
test: deps test-deps
	$(SWIFT) build --build-tests
	Tests/Tools/watchdog.sh $(TEST_TIME_LIMIT) $(SWIFT) test --skip-build
	$(SWIFT) build -c release -Xswiftc -enable-testing --scratch-path $(RELEASE_SCRATCH) --build-tests
	Tests/Tools/watchdog.sh $(TEST_TIME_LIMIT) $(SWIFT) test -c release -Xswiftc -enable-testing --scratch-path $(RELEASE_SCRATCH) \
	  --skip-build --filter ChannelHostTests

## bench: release build, then the benchmarks (bench/run.sh): ingestion vs the bare route
## (wrk) and against a Python peer (pywa on FastAPI/uvicorn, from PyPI), ack latency at
## 5,000 webhooks/s (and the reply backlog it leaves) and end-to-end latency at 1,000
## messages/s (open loop) on SQLite; resident memory idle and after 10k and 100k messages;
## the highest answered msg/s with end-to-end p99 under 100 ms (a search) on SQLite, one
## PostgreSQL host and two; ingestion and end to end again on PostgreSQL (a throwaway durable
## server), the cross-host wake-up delay of two hosts on one database, JSON and Markdown
## rendering in process, instructions per request and per message under callgrind
## (bench/instructions.py), and PostgreSQL alone under pgbench (bench/pg_capacity.sh); prints
## one table and the instruction counts and appends them to docs/performance.md. Installs
## wrk, PostgreSQL, python3-venv and valgrind if missing.
bench: deps
	$(call apt_install,$(BENCH_APT_PACKAGES))
	$(SWIFT) build -c release --product sandra
	$(SWIFT) build -c release --product SandraBench
	BENCH_BIN="$$($(SWIFT) build -c release --show-bin-path)" bench/run.sh

check-config: build
	$$($(SWIFT) build --show-bin-path)/sandra check-config

clean:
	rm -rf .build $(RELEASE_SCRATCH)
