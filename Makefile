# The two commands a person needs: `make run` and `make test`.
# `make bench` runs every benchmark; `make bench PYTEST_ARGS=benchmarks/FILE.py` runs one file.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PROCURE_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run test install lint bench clean
.PHONY: fuzz load screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip wheel

# llama.cpp is compiled for this machine's CPU (-march=native) unless told otherwise. On CPUs with
# Intel AMX (Xeon Sapphire Rapids and later) that build turns on llama.cpp's AMX kernels, which
# crash (SIGSEGV in ggml_backend_amx_mul_mat) on the first decode of the Q4_K_M model: on x86-64
# the build targets AVX2 instead, which every x86-64 CPU of the last ten years has. Override with
# `make install LLAMA_CMAKE_ARGS=...`. pip caches the wheel it builds (one build per machine);
# after changing these flags, `$(BIN)/pip cache remove llama_cpp_python` forces a rebuild.
ifeq ($(shell uname -m),x86_64)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
endif

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/procure db upgrade
	$(BIN)/procure demo
	$(BIN)/procure serve --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check procure sourcing tests benchmarks
	$(BIN)/ruff format --check procure sourcing tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: install
	$(BIN)/python -m pytest $(or $(PYTEST_ARGS),benchmarks) --benchmark-only --benchmark-columns=min,median,max,rounds

clean:
	rm -rf $(VENV) instance .pytest_cache

# Property-based tests of every importer and parser, thousands of inputs each (issue 15);
# `make test` runs the same tests with a short profile.
FUZZ_EXAMPLES ?= 5000
fuzz: install
	HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/operations/test_fuzz.py -q -p no:cacheprovider --hypothesis-show-statistics $(PYTEST_ARGS)

# Load test: `procure serve` on 127.0.0.1 with the demo data, 20 users of the four roles,
# stopping by itself after LOAD_TIME (docs/operations.md). LOAD_DB=postgresql for PostgreSQL.
LOAD_USERS ?= 20
LOAD_TIME ?= 10m
LOAD_DB ?= sqlite
load: install
	$(BIN)/python benchmarks/load/run.py --users $(LOAD_USERS) --run-time $(LOAD_TIME) --db $(LOAD_DB)

# Screenshots of each room's main pages for the docs (docs/screenshots/), taken by the
# end-to-end tests in headless Chromium.
screenshots: install
	PROCURE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -m e2e -q -p no:cacheprovider $(PYTEST_ARGS)
