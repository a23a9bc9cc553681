# untxt: `make serve` and `make test` set up everything they need, then run.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-vie tesseract-ocr-osd fonts-dejavu-core poppler-utils wamerican chromium prometheus docker-compose
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: serve test lint typecheck bench system-deps venv clean

serve: system-deps venv
	$(BIN)/untxt serve

test: system-deps venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	# Three processes, on two CPUs too: most tests wait on servers and subprocesses more
	# than they compute (503 s against 698 s with two, back to back on 2 CPUs).
	$(BIN)/pytest -n 3 --dist loadscope -m "not alone"
	$(BIN)/pytest -m alone

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: venv
	$(BIN)/mypy

bench: system-deps venv
	$(BIN)/python bench/submit.py
	$(BIN)/python bench/ocr_throughput.py
	$(BIN)/python bench/engine_modes.py
	$(BIN)/python bench/queue_throughput.py
	$(BIN)/python bench/accuracy.py
	$(BIN)/python bench/vs_ocrmypdf.py
	$(BIN)/python bench/events.py

# Installs only what is missing, so a second run costs a few dpkg queries.
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing system packages: $$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@if ! [ -x $(BIN)/python ]; then \
		$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
			echo "installing python3-venv"; \
			$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv && \
			$(PYTHON) -m venv $(VENV); }; \
	fi
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache src/*.egg-info
