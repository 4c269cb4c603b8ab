#!/usr/bin/env python3
"""Count GFLOPs per image of an ONNX model (2 x MACs of Conv, MatMul and Gemm).

  python3 bench/onnx_flops.py MODEL [--size 640]
Every input is fixed to [1, C, size, size] and shapes come from onnx shape inference, so the
count is for one image; element-wise ops, pooling, Resize and the like are ignored (they are a
rounding error next to the convolutions, and it is how published YOLO GFLOPs are counted).
"""
import argparse
import math

import onnx
from onnx import shape_inference


def _shape(vi):
    dims = [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]
    return None if any(d is None for d in dims) else dims


def gflops_per_image(path, size=640):
    model = onnx.load(path)
    inits = {t.name: list(t.dims) for t in model.graph.initializer}
    for inp in model.graph.input:
        if inp.name in inits:
            continue
        dims = inp.type.tensor_type.shape.dim
        fixed = [1, dims[1].dim_value, size, size]
        for d, v in zip(dims, fixed):
            d.ClearField("dim_param")
            d.dim_value = v
    # data_prop folds the Shape->Gather->Concat chains in the head, so MatMul shapes resolve.
    model = shape_inference.infer_shapes(model, data_prop=True)
    shapes = dict(inits)
    for vi in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        s = _shape(vi)
        if s is not None:
            shapes[vi.name] = s

    flops, unresolved = 0, []
    for node in model.graph.node:
        if node.op_type not in ("Conv", "MatMul", "Gemm"):
            continue
        try:
            out = shapes[node.output[0]]
            if node.op_type == "Conv":
                w = shapes[node.input[1]]  # [Cout, Cin/group, kH, kW]
                macs = math.prod(out) * math.prod(w[1:])
            else:
                a = shapes[node.input[0]]
                trans_a = any(x.name == "transA" and x.i for x in node.attribute)
                k = a[-2] if trans_a else a[-1]
                macs = math.prod(out) * k
        except KeyError:
            unresolved.append(node.name or node.op_type)
            continue
        flops += 2 * macs
    if unresolved:
        raise RuntimeError(f"{path}: no shapes for {len(unresolved)} nodes, e.g. {unresolved[:3]}")
    return flops / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+")
    ap.add_argument("--size", type=int, default=640)
    a = ap.parse_args()
    for m in a.models:
        print(f"{gflops_per_image(m, a.size):8.3f} GFLOPs/image  {m}")


if __name__ == "__main__":
    main()
