# The two commands in the README: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= data/klantvraag.duckdb

.PHONY: setup demo test browser bench clean

# torch first and pinned: the CPU build of 2.13.0 lies on this machine's disk; an unpinned
# torch pulled in by bertopic/sentence-transformers would drag in a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	HF_HUB_OFFLINE=1 $(BIN)/klantvraag run data/sample --db $(DB) --models models --out reports

# The report test opens the HTML in headless Chromium (Debian's package).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found and cannot install it (not root): the browser test will be skipped"; fi; }

test: setup browser
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -n 2 --dist loadfile

# Benchmarks print throughput, memory and quality; minutes each on 2 cores (not part of the tests).
bench: setup
	for script in ingest prepare reasons tagging report; do \
	  HF_HUB_OFFLINE=1 $(BIN)/python bench/$$script.py || exit 1; done

clean:
	rm -rf $(VENV) data/*.duckdb data/*.duckdb.wal data/models data/reports data/klantvraag-fouten.log
	find reports models -mindepth 1 -not -name README.md -delete
