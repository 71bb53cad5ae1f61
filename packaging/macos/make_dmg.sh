#!/usr/bin/env bash
# dist/QwenRAG-macos-<arch>.dmg from dist/QwenRAG.app: the app and an Applications link, compressed (UDZO).
# UNTESTED here (written on Linux). Needs hdiutil (macOS).
#
#   packaging/macos/make_dmg.sh [dist/QwenRAG.app]
set -euo pipefail
APP=${1:-dist/QwenRAG.app}
[ -d "$APP" ] || { echo "make_dmg.sh: no app at $APP" >&2; exit 1; }
OUT="$(dirname "$APP")/QwenRAG-macos-$(uname -m).dmg"

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
# ditto keeps the bundle's symlinks, extended attributes and signature intact (cp -R may not).
ditto "$APP" "$staging/QwenRAG.app"
ln -s /Applications "$staging/Applications"
rm -f "$OUT"
hdiutil create -volname QwenRAG -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$OUT"
echo "dmg: $OUT ($(du -h "$OUT" | cut -f1))"
