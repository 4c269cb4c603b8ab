"""Minimal ONNX constant folding, standing in for the onnxslim pass real YOLO exports get.

The TorchScript exporter leaves `Constant` nodes and never folds some constant sub-graphs (the
anchor grid's Expand/Unsqueeze/Concat, Shape of a tensor whose shape is static). This pass:
  * turns every node whose inputs are all constant (Constant nodes included) into an initializer,
    computing it with onnx's reference evaluator;
  * replaces Shape of a tensor with a fully static inferred shape by its value.
So static exports end up with no Shape/Gather/Expand/Constant nodes; dynamic exports keep the
shape arithmetic that depends on the input size (Shape, Gather, Range, ...).
"""
import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference
from onnx.reference import ReferenceEvaluator

NEVER_FOLD = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial"}


def _static_shapes(model):
    inferred = shape_inference.infer_shapes(model, strict_mode=False)
    g = inferred.graph
    shapes = {}
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        tt = vi.type.tensor_type
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            shapes[vi.name] = [d.dim_value for d in tt.shape.dim]
    return shapes


def _eval_node(node, consts, opset_imports):
    inputs = [i for i in node.input if i]
    graph = helper.make_graph(
        [node], "fold", [],
        [helper.make_empty_tensor_value_info(o) for o in node.output],
        initializer=[numpy_helper.from_array(np.asarray(consts[i]), i) for i in inputs])
    model = helper.make_model(graph, opset_imports=opset_imports)
    return ReferenceEvaluator(model).run(None, {})


def fold_constants(model):
    """Return a new ModelProto with constant sub-graphs folded into initializers."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    g = model.graph
    opsets = list(model.opset_import)
    consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    graph_inputs = {i.name for i in g.input}
    shapes = _static_shapes(model)
    kept = []
    for node in g.node:  # exporter output is topologically sorted
        ins = [i for i in node.input if i]
        if node.op_type == "Shape" and ins[0] in shapes:
            full = np.array(shapes[ins[0]], dtype=np.int64)
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            consts[node.output[0]] = full[attrs.get("start", 0):attrs.get("end", len(full))]
            continue
        if (node.op_type not in NEVER_FOLD and all(i in consts and i not in graph_inputs for i in ins)
                and not node.op_type.startswith("If") and node.op_type != "Loop"):
            for name, val in zip(node.output, _eval_node(node, consts, opsets)):
                consts[name] = val
            continue
        kept.append(node)

    used = {i for n in kept for i in n.input} | {o.name for o in g.output}
    old_order = [i.name for i in g.initializer]
    new_names = [n for n in consts if n in used and n not in old_order]
    inits = []
    for name in old_order + new_names:
        if name in used:
            inits.append(numpy_helper.from_array(np.asarray(consts[name]), name))
    del g.node[:]
    g.node.extend(kept)
    del g.initializer[:]
    g.initializer.extend(inits)
    del g.value_info[:]  # stale after folding; consumers re-infer
    onnx.checker.check_model(model)
    return model
