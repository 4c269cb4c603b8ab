#!/usr/bin/env bash
# Installs what building and testing need on Debian 12 with Swift: C libraries from Debian, and the Python
# packages the tests use as the reference (ONNX Runtime). With --tests it also starts the PostgreSQL server the
# tests use (scripts/test-postgres.sh). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

debian_packages=(libdnnl-dev libturbojpeg0-dev libpng-dev libsqlite3-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev python3 python3-pip)
missing=()
for package in "${debian_packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c "import onnx, onnxruntime, numpy, pycocotools, PIL" >/dev/null 2>&1; then
  python3 -m pip install --quiet -r tools/requirements.txt
fi

if [ "${1:-}" = "--tests" ]; then
  bash scripts/test-postgres.sh >/dev/null
fi
