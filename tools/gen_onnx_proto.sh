#!/usr/bin/env bash
# Regenerates Sources/YOLOFuseONNX/Generated/onnx.pb.swift from the onnx.proto that pip's `onnx` package ships.
# Needs protoc (Debian: protobuf-compiler) and protoc-gen-swift built from swift-protobuf 1.39.0:
#   git clone <swift-protobuf> && git checkout 1.39.0 && swift build -c release --product protoc-gen-swift
# Usage: tools/gen_onnx_proto.sh PATH/TO/protoc-gen-swift
set -euo pipefail
plugin=${1:?path to protoc-gen-swift}
proto_dir=$(python3 -c "import onnx, os; print(os.path.dirname(onnx.__file__))")
work=$(mktemp -d)
cp "$proto_dir/onnx.proto" "$work/"
protoc --plugin="$plugin" --swift_out=Sources/YOLOFuseONNX/Generated --swift_opt=Visibility=Internal \
  -I "$work" "$work/onnx.proto"
