#!/usr/bin/env bash
# The macOS build: dist/QwenRAG.app (PyInstaller BUNDLE), its self-test, then dist/QwenRAG-macos-<arch>.dmg.
# UNTESTED here (written on Linux); see packaging/README.md.
#
#   packaging/macos/build_app.sh [--model PATH.gguf] [--python PY] [--sign "Developer ID Application: ..."]
#
# Without --sign the app is ad-hoc signed: it runs on the machine that built it; on another Mac,
# Gatekeeper asks (right-click > Open) unless it is signed with a Developer ID and notarized.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

PY=.venv/bin/python
MODEL=""
IDENTITY="-"
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    --python) PY=$2; shift 2 ;;
    --sign) IDENTITY=$2; shift 2 ;;
    *) echo "build_app.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -n "$MODEL" ]; then export QWENRAG_BUNDLE_MODEL="$MODEL"; else unset QWENRAG_BUNDLE_MODEL; fi

"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/qwenrag.spec
APP=dist/QwenRAG.app

# Re-sign the whole bundle (PyInstaller signs ad hoc on Apple silicon; a real identity needs the
# hardened runtime for notarization).
if [ "$IDENTITY" = "-" ]; then
  codesign --force --deep --sign - "$APP"
else
  codesign --force --deep --options runtime --timestamp --sign "$IDENTITY" "$APP"
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
QWENRAG_DATA_DIR="$scratch/data" QWENRAG_CONFIG_DIR="$scratch/config" \
  "$APP/Contents/MacOS/qwenrag" --self-test || { echo "build_app.sh: the self-test FAILED" >&2; exit 1; }

"$(dirname "$0")/make_dmg.sh" "$APP"
