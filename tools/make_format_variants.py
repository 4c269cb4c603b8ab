#!/usr/bin/env python3
"""Rewrites an ONNX model in the other encodings the engine must read, for the Swift loader tests.

  python3 tools/make_format_variants.py MODEL OUTDIR

Writes OUTDIR/external.onnx (+ external.onnx.data: every initializer in an external data file) and
OUTDIR/typed.onnx (initializers in the typed float_data/int64_data fields instead of raw_data).
"""
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def typed_tensor(tensor):
    """The same tensor with its values in the typed repeated field (what some exporters write)."""
    array = numpy_helper.to_array(tensor)
    typed = onnx.helper.make_tensor(tensor.name, tensor.data_type, array.shape,
                                    array.flatten().tolist(), raw=False)
    return typed


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)

    model = onnx.load(source)
    onnx.save_model(model, os.path.join(out_dir, "external.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="external.onnx.data", size_threshold=0)

    model = onnx.load(source)
    typed = [typed_tensor(t) for t in model.graph.initializer]
    del model.graph.initializer[:]
    model.graph.initializer.extend(typed)
    assert all(not t.raw_data for t in model.graph.initializer)
    onnx.save_model(model, os.path.join(out_dir, "typed.onnx"))


if __name__ == "__main__":
    main()
