#!/bin/sh
# Regenerate the committed ONNX test fixtures (see tools/README.md). Needs torch, onnx, onnxruntime.
set -e
cd "$(dirname "$0")/.."
exec python3 tools/make_fixtures.py "$@"
