# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-slow test-all test-cuda bench setup dot clean

setup: $(STAMP) dot

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

# Graphviz's `dot` binary: installed with apt-get when missing and we are root.
dot:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Graphviz (dot) with apt-get ..."; \
	    (apt-get install -y -q graphviz >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q graphviz >/dev/null)) || \
	     { echo "apt-get could not install graphviz"; exit 1; }; \
	  else \
	    echo "Graphviz's 'dot' binary is missing. Install it: 'sudo apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) or 'conda install graphviz'."; \
	    exit 1; \
	  fi; }

demo: setup
	$(PY) examples/demo.py --out out

test: setup
	NUMBA_ENABLE_CUDASIM=1 $(PY) -m pytest -q

# Real-data training runs (need ../shared/data): LeNet-5 on MNIST and Fashion-MNIST.
test-slow: setup
	$(PY) -m pytest -q -s -m slow tests/minigrad/test_train_real_data.py

# Slow real-data runs (need ../shared/data or --data-dir) and the full suite.
test-all: setup
	NUMBA_ENABLE_CUDASIM=1 $(PY) -m pytest -q -m "not cuda"

# The CUDA suite on a real GPU at full size.
test-cuda:
	$(PYTHON) -m pytest -q -m cuda -p no:cacheprovider

# Framework overhead and CPU training steps (each library alone in fresh processes, alternating), and
# what a CUDA step asks of the device and costs the host (no GPU needed: the host probe);
# tables go to benchmarks/results/ (copy cpu.md into the README's Benchmarks section).
bench: setup
	$(PY) benchmarks/overhead.py --out benchmarks/results/overhead.md
	$(PY) benchmarks/cpu.py --out benchmarks/results/cpu.md
	$(PY) benchmarks/cuda_counts.py --processes 5 --markdown benchmarks/results/cuda_counts.md

clean:
	rm -rf $(VENV) out .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
