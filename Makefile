# Two commands do all set-up on a fresh machine: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench lint format clean xcb-deps

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# A real window (Qt's xcb platform) needs two X libraries a fresh Debian lacks;
# without them Qt fails with a misleading message about xcb-cursor0.
xcb-deps:
	@if ! ldconfig -p | grep -q libxcb-icccm.so.4 || ! ldconfig -p | grep -q libxcb-keysyms.so.1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 >/dev/null; \
	  else \
	    echo "Qt needs libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0: sudo apt-get install them"; \
	  fi; \
	fi

run: $(STAMP) xcb-deps
	$(PY) app.py

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) build *.egg-info
