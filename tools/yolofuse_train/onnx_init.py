"""Trainable weights from an exported model, so the shipped ONNX (or any export of tools/export_models.py) can be
fine-tuned when its training checkpoint is not at hand.

Exports fold each BatchNorm into its conv (blocks.fuse). Loading undoes the fold as an identity: the conv keeps
the folded weight, and its BatchNorm gets running statistics measured on real images, with gamma = sqrt(var + eps)
and beta = mean + folded bias. Eval mode then reproduces the export exactly, and train mode (batch statistics)
starts close to it, so the first steps do not undo what the export had learnt.
"""
import copy

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

from yolofuse_models.blocks import Conv, fuse


def _initializers(path):
    return {t.name: numpy_helper.to_array(t).copy() for t in onnx.load(path).graph.initializer}


def load_onnx_weights(model, path):
    """Copies an export's weights into `model` (same architecture, BatchNorm unfolded as the identity plus the
    folded bias). A twin's export is its inner 3-channel stream, so names may lack the `model.` prefix."""
    inits = _initializers(path)
    fused = fuse(copy.deepcopy(model)).state_dict()

    def source(key):
        for name in (key, key[len("model."):] if key.startswith("model.") else None):
            if name is not None and name in inits:
                return name
        return None

    missing = [k for k in fused if source(k) is None and not k.endswith("dfl.conv.weight")]
    wrong = [(k, tuple(inits[source(k)].shape), tuple(v.shape)) for k, v in fused.items()
             if source(k) is not None and tuple(inits[source(k)].shape) != tuple(v.shape)]
    if missing or wrong:
        raise ValueError(f"{path} does not match this architecture: {len(missing)} weights missing "
                         f"(first: {missing[:3]}), {len(wrong)} of another shape (first: {wrong[:3]}); "
                         f"pass the --arch and --scale it was trained with")
    done = set()
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, Conv) and isinstance(m.bn, nn.BatchNorm2d):
                pre = f"{name}.conv."
                m.conv.weight.copy_(torch.from_numpy(inits[source(pre + "weight")]))
                m.bn.weight.fill_(1.0)
                m.bn.bias.copy_(torch.from_numpy(inits[source(pre + "bias")]))
                m.bn.running_mean.zero_()
                m.bn.running_var.fill_(1.0 - m.bn.eps)  # (x - 0) / sqrt(var + eps) = x
                done.update(f"{name}.{p}" for p in ("conv.weight", "bn.weight", "bn.bias", "bn.running_mean",
                                                     "bn.running_var", "bn.num_batches_tracked"))
        for key, value in model.state_dict().items():
            if key in done or source(key) is None:
                continue
            value.copy_(torch.from_numpy(inits[source(key)]))
    return model


@torch.no_grad()
def calibrate_batchnorm(model, batches):
    """Sets each BatchNorm's running statistics to those of its input over `batches` ([N, C, H, W] float in [0, 1])
    while keeping eval-mode outputs unchanged: gamma = sqrt(var + eps) cancels the normalisation, beta adds the
    mean back. One pass measures every layer, since in eval mode each BatchNorm already passes its input on."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    sums = {id(bn): [0.0, 0.0, 0] for bn in bns}

    def hook(bn, inputs, _):
        x = inputs[0].double()
        s = sums[id(bn)]
        s[0] = s[0] + x.sum((0, 2, 3))
        s[1] = s[1] + (x * x).sum((0, 2, 3))
        s[2] += x.numel() // x.shape[1]

    handles = [bn.register_forward_hook(hook) for bn in bns]
    was_training = model.training
    model.eval()
    try:
        for x in batches:
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    for bn in bns:
        total, squares, n = sums[id(bn)]
        mean = total / n
        var = (squares / n - mean * mean).clamp(min=0)
        # The layer now computes x * scale + offset; keep that with the measured statistics.
        scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
        offset = bn.bias.double() - bn.running_mean.double() * scale
        bn.running_mean.copy_(mean)
        bn.running_var.copy_(var)
        bn.weight.copy_(scale * torch.sqrt(var + bn.eps))
        bn.bias.copy_(offset + mean * scale)


def check_against_onnx(model, path, x):
    """Largest absolute difference between the model (eval mode) and ONNX Runtime on `x`."""
    import onnxruntime as ort

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    arr = x.numpy().astype(np.float32)
    if inputs[0].shape[1] == 3 and arr.shape[1] == 6:  # a twin's export takes its own modality only
        lo = 0 if getattr(model, "modality", "rgb") == "rgb" else 3
        arr = arr[:, lo:lo + 3]
    reference = session.run(None, {inputs[0].name: arr})[0]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        ours = model(x).numpy()
    model.train(was_training)
    return float(np.abs(ours - reference).max())
