# posereid: the two set-up commands are `make demo` and `make test` (both install on first use).
SHELL := /bin/bash
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV ?= $(if $(POSEREID_VENV),$(POSEREID_VENV),$(ROOT)/.venv)
PY := $(VENV)/bin/python
export POSEREID_VENV := $(VENV)

.PHONY: install demo test bench clean-demo

install:
	@bash scripts/install.sh

demo: install
	$(PY) experiments/demo.py

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/run_all.py

clean-demo:
	rm -rf work_dirs/demo
