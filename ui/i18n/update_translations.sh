#!/usr/bin/env bash
# Refresh the translation sources from the code, then compile them for shipping.
#   ui/i18n/update_translations.sh            # lupdate (keeps existing translations) + lrelease
# Translate new strings in ui/i18n/qwenrag_zh_CN.ts (Qt Linguist: .venv/bin/pyside6-linguist), then run
# this again so the .qm files the app loads are current. Both .ts and .qm are committed.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${PYSIDE6_BIN:-.venv/bin}
mapfile -t SOURCES < <(ls ui/*.py)
for lang in zh_CN; do
  "$BIN/pyside6-lupdate" -no-obsolete -locations relative "${SOURCES[@]}" -ts "ui/i18n/qwenrag_${lang}.ts"
  "$BIN/pyside6-lrelease" "ui/i18n/qwenrag_${lang}.ts" -qm "ui/i18n/qwenrag_${lang}.qm"
done
