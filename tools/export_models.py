#!/usr/bin/env python3
"""Export randomly initialised YOLOFuse-style / YOLOv8 detectors to ONNX, then check them with ORT.

The weights are random (seeded) but every BatchNorm gets exact statistics (float64, on synthetic
images and uniform noise) and a conditioning-friendly affine, and the two final 1x1 convs of the
head are rescaled, so outputs depend on the input, neither class scores nor DFL boxes are
saturated, and float32 rounding does not grow through the network (see calibrate()). Export
mirrors what real exporters do: BN folded into conv, TorchScript exporter (dynamo=False),
constant folding (plus our own onnx_fold pass standing in for onnxslim), output `output0`.
Verification compares ORT with PyTorch and ORT optimised with ORT unoptimised.

Example:
  python3 tools/export_models.py --arch mid --scale t --classes 3 --opset 18 --dynamic --out m.onnx
"""
import argparse
import collections
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_fold import fold_constants  # noqa: E402
from yolofuse_models import SCALES, TwoInput, build, build_from_meta, fuse  # noqa: E402
from yolofuse_models.blocks import Conv  # noqa: E402
from yolofuse_models.single_stream import SingleStream  # noqa: E402

COCO80 = ["person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
          "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
          "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
          "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
          "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
          "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
          "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
          "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
          "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
          "teddy bear", "hair drier", "toothbrush"]


# Conditioning bar checked by export(): ORT optimised vs unoptimised, and ORT vs PyTorch.
COND_BOX_PX = 0.01
COND_SCORE = 2e-5


def class_names(k):
    if k == 1:
        return ["person"]  # LLVIP
    if k == 3:
        return ["person", "car", "bicycle"]
    if k == 80:
        return COCO80
    return [f"class{i}" for i in range(k)]


def names_string(names):
    # Same text form Ultralytics writes into metadata_props: a Python dict literal.
    return "{" + ", ".join(f"{i}: {n!r}" for i, n in enumerate(names)) + "}"


def synthetic_batch(gen, n, size, channels):
    """Images in [0, 1] with spatial structure: smooth fields, rectangles, a little noise.

    The IR half is a single channel replicated 3 times (as YOLOFuse does for 1-channel IR),
    correlated with the RGB luminance but with its own warm blobs.
    """
    h = w = size

    def smooth(c, cells):
        low = torch.rand(n, c, cells, cells, generator=gen)
        return F.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)

    rgb = 0.6 * smooth(3, 4) + 0.4 * smooth(3, 16)
    for b in range(n):  # a few solid rectangles ("objects")
        for _ in range(int(torch.randint(2, 7, (1,), generator=gen))):
            y0, x0 = (int(v) for v in torch.randint(0, size - 8, (2,), generator=gen))
            hh, ww = (int(v) for v in torch.randint(8, max(9, size // 3), (2,), generator=gen))
            rgb[b, :, y0:y0 + hh, x0:x0 + ww] = torch.rand(3, 1, 1, generator=gen)
    rgb = (rgb + 0.03 * torch.randn(rgb.shape, generator=gen)).clamp(0, 1)
    if channels == 3:
        return rgb
    lum = (0.299 * rgb[:, 0:1] + 0.587 * rgb[:, 1:2] + 0.114 * rgb[:, 2:3])
    ir = (0.5 * lum + 0.5 * smooth(1, 8) ** 2).clamp(0, 1)
    return torch.cat((rgb, ir.expand(-1, 3, -1, -1)), 1)


def feed(model, x):
    if isinstance(model, TwoInput):  # two-input wrapper
        return model(x[:, :3], x[:, 3:])
    return model(x)


def calibration_images(gen, n, size, channels):
    """Half structured synthetic images, half uniform [0, 1) noise (what the Swift tests feed)."""
    k = n // 2
    return torch.cat((synthetic_batch(gen, n - k, size, channels),
                      torch.rand(k, channels, size, size, generator=gen)))


@torch.no_grad()
def calibrate(model, seed, size, images=16):
    """Give every BatchNorm exact statistics and a well-conditioned affine, then rescale the two
    final head convs.

    A deep random network is numerically ill-conditioned unless each layer sees activations of
    about unit size and does not amplify small perturbations: otherwise float32 rounding grows
    layer after layer and two correct runtimes (or ORT with and without graph optimisations)
    disagree visibly. Hence:
      * statistics: one eval-mode forward pass in float64 over calibration images (structured
        synthetic + uniform noise); each BN takes the mean and variance of its actual input just
        before normalising it, every earlier BN being final already. Post-BN activations then
        have mean beta and std gamma on that set (attention logits stay O(1) too).
      * affine: gamma in 0.75..1.25 and, before SiLU, beta about +1. With pre-activations
        centred on 0, SiLU acts like ReLU and a random BN/SiLU stack is chaotic: a relative
        perturbation (rounding) at the stem grew ~20x by the head, and ORT disagreed with itself
        by 0.5 px. Centred on +1, ~16% of pre-activations are still negative (SiLU stays
        nonlinear) and the growth is ~2.5x. Convs without activation (attention qkv/pe/proj,
        PSA FFN output) get beta about 0.
    The bar export() checks: ORT optimised vs unoptimised and ORT vs PyTorch within
    COND_BOX_PX / COND_SCORE on uniform-noise inputs (the fixtures reach ~1e-3 px and ~5e-6).
    """
    gen = torch.Generator().manual_seed(seed + 1)
    convs = [m for m in model.modules() if isinstance(m, Conv) and isinstance(m.bn, nn.BatchNorm2d)]
    bns = [m.bn for m in convs]
    for m in convs:
        bn = m.bn
        bn.weight.copy_(0.75 + 0.5 * torch.rand(bn.weight.shape, generator=gen))
        shift = 1.0 if isinstance(m.act, nn.SiLU) else 0.0
        bn.bias.copy_(shift + 0.2 * torch.randn(bn.bias.shape, generator=gen))
    x = calibration_images(gen, images, size, 6 if model.channels == 6 else 3)

    def set_stats(bn, inputs):
        t = inputs[0]
        bn.running_mean.copy_(t.mean((0, 2, 3)))
        bn.running_var.copy_(t.var((0, 2, 3), unbiased=False))

    det = model.model.detect if hasattr(model, "model") else model.detect
    finals = [(s[-1], "box") for s in det.cv2] + [(s[-1], "cls") for s in det.cv3]
    outs = {}
    hooks = [bn.register_forward_pre_hook(set_stats) for bn in bns]
    hooks += [conv.register_forward_hook(lambda m, i, o: outs.__setitem__(m, o)) for conv, _ in finals]
    # float64, so the statistics do not depend on float32 kernel choice.
    model.double().eval()
    try:
        feed(model, x.double())
    finally:
        for h in hooks:
            h.remove()

    # Final head convs: box logits get mean -0.3*bin and std 1.2 (smooth, varied DFL
    # distributions, object-sized boxes); class logits mean about -2.5 and std 1.3 (scores
    # mostly 0.01..0.9).
    for conv, kind in finals:
        y = outs[conv].transpose(0, 1).reshape(conv.out_channels, -1)
        mean, std = y.mean(1), y.std(1).clamp_min(1e-6)
        if kind == "box":  # 4 sides x 16 bins; favour low bins so boxes are object-sized
            bins = torch.arange(conv.out_channels, dtype=mean.dtype) % det.reg_max
            t_mean, t_std = -0.3 * bins, torch.full_like(std, 1.2)
        else:
            t_mean = -2.5 + 0.5 * (torch.rand(mean.shape, generator=gen, dtype=mean.dtype) - 0.5)
            t_std = torch.full_like(std, 1.3)
        a = t_std / std
        conv.weight.mul_(a.view(-1, 1, 1, 1))
        conv.bias.copy_((conv.bias - mean) * a + t_mean)
    return model.float()


def make_model(arch, scale, classes, two_inputs, seed, calib_size, width=None):
    # One thread: with more, torch splits reductions and vectorised loops (image synthesis,
    # BN statistics) differently, and a last-bit change moves the exported bytes.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        model = build(arch, scale, classes, two_inputs=two_inputs, width=width)
        calibrate(model, seed, calib_size)
    finally:
        torch.set_num_threads(threads)
    model.eval()
    return model


def op_histogram(onnx_model):
    return dict(sorted(collections.Counter(n.op_type for n in onnx_model.graph.node).items()))


def export(model, out, opset=18, dynamic=True, size=640, batch=1, two_inputs=False, seed=0,
           verify=True, quiet=False, fold=True, names=None, description=None, extra_inputs=None):
    """Export, fold, stamp metadata and verify. names/description override the random-weight
    defaults (trained checkpoints); extra_inputs is a list of (label, [N, C, H, W] tensor) real
    images added to the verification cases."""
    import onnx
    import onnxruntime as ort

    import copy

    unfused = None
    if verify:
        unfused = copy.deepcopy(model)
    fuse(model).eval()
    f64 = copy.deepcopy(model).double() if verify else None  # float64 reference for the f32 error floor
    nc = model.nc
    if two_inputs:
        args = (torch.zeros(batch, 3, size, size), torch.zeros(batch, 3, size, size))
        input_names = ["rgb", "ir"]
    else:
        args = (torch.zeros(batch, model.channels, size, size),)
        input_names = ["images"]
    dyn = None
    if dynamic:
        dyn = {n: {0: "batch", 2: "height", 3: "width"} for n in input_names}
        dyn["output0"] = {0: "batch", 2: "anchors"}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    torch.onnx.export(model, args, out, input_names=input_names, output_names=["output0"],
                      opset_version=opset, dynamic_axes=dyn, dynamo=False, do_constant_folding=True)

    m = onnx.load(out)
    if fold:
        m = fold_constants(m)
    # The exporter cannot infer dim 1 through the dynamic anchor arithmetic; state it
    # ([batch, 4 + nc, anchors] as in real exports).
    d1 = m.graph.output[0].type.tensor_type.shape.dim[1]
    d1.Clear()
    d1.dim_value = 4 + nc
    meta = {
        "description": description or "YOLOFuse-style detector with random weights (test/benchmark model)",
        "task": "detect",
        "batch": str(batch),
        "imgsz": f"[{size}, {size}]",
        "stride": "32",
        "names": names_string(names or class_names(nc)),
        "modality": model.modality,
        "fusion": model.fusion,
        "channels": str(model.channels),
        "seed": str(seed),
    }
    del m.metadata_props[:]
    for k, v in meta.items():
        m.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(m)
    onnx.save(m, out)
    report = {"path": out, "bytes": os.path.getsize(out), "ops": op_histogram(m)}
    if not verify:
        return report

    # Verify: ORT output == PyTorch (fused, eval) output; also fused == unfused; and the model is
    # well conditioned: ORT with all graph optimisations == ORT with none, on structured synthetic
    # images and on uniform [0, 1) noise (what the Swift tests feed).
    sessions = {}
    for key, level in (("all", ort.GraphOptimizationLevel.ORT_ENABLE_ALL),
                       ("disable", ort.GraphOptimizationLevel.ORT_DISABLE_ALL)):
        so = ort.SessionOptions()
        so.graph_optimization_level = level
        so.intra_op_num_threads = 2
        sessions[key] = ort.InferenceSession(out, so, providers=["CPUExecutionProvider"])
    gen = torch.Generator().manual_seed(seed + 99)
    rng = np.random.default_rng(seed + 99)
    h2 = max(32, size * 4 // 5 // 32 * 32)  # non-square: 256x320 at 320
    cases = [("synthetic", batch, size, size), ("uniform", batch, size, size)]
    if dynamic:  # other batch sizes and a non-square size
        cases += [("synthetic", 2, 256, 320), ("uniform", 3, size, size), ("uniform", 1, h2, size),
                  ("uniform", 3, h2, size)]
    chans = 6 if model.channels == 6 else 3
    inputs = []
    for kind, b, h, w in cases:
        if kind == "synthetic":
            x = synthetic_batch(gen, b, max(h, w), chans)[:, :, :h, :w].contiguous()
        else:
            x = torch.from_numpy(rng.random((b, chans, h, w), dtype=np.float32))
        inputs.append((kind, x))
    inputs += list(extra_inputs or [])
    checks = []
    for kind, x in inputs:
        b, _, h, w = x.shape
        with torch.no_grad():
            ref = feed(model, x).numpy()
            ref_unfused = feed(unfused, x).numpy()
            ref64 = feed(f64, x.double()).numpy()
        feeds = ({"rgb": x[:, :3].numpy(), "ir": x[:, 3:].numpy()} if two_inputs
                 else {"images": x.numpy()})
        got = sessions["all"].run(["output0"], feeds)[0]
        noopt = sessions["disable"].run(["output0"], feeds)[0]
        assert got.shape == ref.shape, (got.shape, ref.shape)
        box_diff = float(np.abs(got[:, :4] - ref[:, :4]).max())
        score_diff = float(np.abs(got[:, 4:] - ref[:, 4:]).max())
        opt_box = float(np.abs(got[:, :4] - noopt[:, :4]).max())
        opt_score = float(np.abs(got[:, 4:] - noopt[:, 4:]).max())
        scores, boxes = got[:, 4:], got[:, :4]
        checks.append({
            "input_kind": kind, "input": [b, model.channels, h, w], "output": list(got.shape),
            "max_abs_diff": max(box_diff, score_diff), "max_abs_diff_scores": score_diff,
            "max_abs_diff_boxes": box_diff,
            "mean_abs_diff_boxes": float(np.abs(got[:, :4] - ref[:, :4]).mean()),
            "ort_opt_vs_noopt_max_abs_scores": opt_score,
            "ort_opt_vs_noopt_max_abs_boxes": opt_box,
            "torch_f32_vs_f64_max_abs_scores": float(np.abs(ref[:, 4:] - ref64[:, 4:]).max()),
            "torch_f32_vs_f64_max_abs_boxes": float(np.abs(ref[:, :4] - ref64[:, :4]).max()),
            "fused_vs_unfused_max_abs": float(np.abs(ref - ref_unfused).max()),
            "scores_min_max_mean": [float(scores.min()), float(scores.max()), float(scores.mean())],
            "scores_frac_in_0.01_0.9": float(((scores > 0.01) & (scores < 0.9)).mean()),
            "scores_frac_over_0.25": float((scores > 0.25).mean()),
            "wh_min_max_mean": [float(boxes[:, 2:].min()), float(boxes[:, 2:].max()), float(boxes[:, 2:].mean())],
            "wh_std": float(boxes[:, 2:].std()),
            # Pass when ORT is within tolerance or no worse than 4x torch's own float32 error.
            "ok": bool(score_diff <= max(5e-4, 4 * float(np.abs(ref[:, 4:] - ref64[:, 4:]).max()))
                       and box_diff <= max(1e-4 * max(h, w), 4 * float(np.abs(ref[:, :4] - ref64[:, :4]).max()))),
            # Conditioning bar: ORT agrees with itself (optimised vs not) and with PyTorch far
            # inside the engine acceptance bounds (0.05 px, 1e-4).
            "conditioned": bool(max(opt_box, box_diff) <= COND_BOX_PX and max(opt_score, score_diff) <= COND_SCORE),
        })
    report["checks"] = checks
    report["ok"] = all(c["ok"] for c in checks)
    report["conditioned"] = all(c["conditioned"] for c in checks)
    if not quiet:
        print(json.dumps(report, indent=1))
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", choices=["mid", "early", "yolov8"], help="random-weight model (no --checkpoint)")
    ap.add_argument("--checkpoint", help="export a model trained by tools/train.py (its EMA weights); "
                    "arch, width, classes, names and size come from the checkpoint")
    ap.add_argument("--check-data", help="with --checkpoint: dataset root; also verify on 4 letterboxed val pairs")
    ap.add_argument("--scale", choices=sorted(SCALES), default="n")
    ap.add_argument("--width", type=float, default=None, help="override the scale's width multiplier")
    ap.add_argument("--classes", type=int, default=3)
    ap.add_argument("--opset", type=int, choices=[12, 18], default=18)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--dynamic", dest="dynamic", action="store_true", default=True)
    g.add_argument("--static", dest="dynamic", action="store_false")
    ap.add_argument("--size", type=int, default=None, help="export/verify size (default 640, or the training imgsz)")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--two-inputs", action="store_true", help="inputs rgb and ir, each [N,3,H,W]")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--calib-size", type=int, default=None, help="image size for BN calibration (default min(size, 320))")
    ap.add_argument("--no-verify", action="store_true")
    ap.add_argument("--no-fold", action="store_true",
                    help="keep the raw TorchScript export (Constant nodes, unfolded anchor grid)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.checkpoint:
        return export_checkpoint(a)
    if not a.arch:
        ap.error("--arch or --checkpoint is required")
    a.size = a.size or 640
    if a.size % 32:
        ap.error("--size must be a multiple of 32")
    model = make_model(a.arch, a.scale, a.classes, a.two_inputs, a.seed,
                       a.calib_size or min(a.size, 320), a.width)
    rep = export(model, a.out, a.opset, a.dynamic, a.size, a.batch, a.two_inputs, a.seed,
                 verify=not a.no_verify, fold=not a.no_fold)
    if a.no_verify:
        print(json.dumps(rep, indent=1))
    elif not rep["ok"]:
        print("VERIFY FAILED", file=sys.stderr)
        sys.exit(1)
    elif not rep["conditioned"]:
        print(f"WARNING: ill-conditioned (ORT opt vs no-opt or ORT vs torch over {COND_BOX_PX} px / {COND_SCORE})",
              file=sys.stderr)


# Trained models: ORT must reproduce PyTorch scores to this (the Swift engine is held to 1e-4).
TRAINED_SCORE_TOL = 1e-4


def load_checkpoint(path, two_inputs=False):
    """Model (eval mode, EMA weights when present) and metadata from a tools/train.py checkpoint."""
    ck = torch.load(path, map_location="cpu", weights_only=False)
    meta = ck["meta"]
    model = build_from_meta(meta)
    model.load_state_dict(ck["ema"] if ck.get("ema") else ck["model"])
    if isinstance(model, SingleStream):
        # A single-modality twin ships as what it is: a 3-channel model of its modality (an IR model takes the
        # IR image replicated to 3 channels, which the engine's manifest knows as modality "ir").
        modality = model.modality
        model = model.model
        model.modality = modality
    if two_inputs:
        if not hasattr(model, "forward_pair"):
            raise SystemExit("--two-inputs needs a fusion model")
        model = TwoInput(model)
    return model.eval(), meta, ck


def export_checkpoint(a):
    model, meta, ck = load_checkpoint(a.checkpoint, a.two_inputs)
    size = a.size or meta["imgsz"]
    if size % 32:
        raise SystemExit("--size must be a multiple of 32")
    extra = []
    if a.check_data:
        from yolofuse_train.data import PairDataset
        ds = PairDataset(a.check_data, "val", size, augment=False, limit=4)
        x = torch.stack([ds[i][0] for i in range(len(ds))]).float() / 255
        extra.append(("val_pairs", x))
    data = ck["args"].get("data", "?")
    desc = (f"YOLOFuse-style detector, arch {meta['arch']} (fusion {meta['fusion']}, modality {meta['modality']}), "
            f"scale {meta['scale']}, trained by tools/train.py for {ck['epoch'] + 1} epochs on {data}")
    rep = export(model, a.out, a.opset, a.dynamic, size, a.batch, a.two_inputs, ck["args"].get("seed", 0),
                 verify=not a.no_verify, quiet=True, fold=not a.no_fold, names=meta["names"],
                 description=desc, extra_inputs=extra)
    print(json.dumps({k: v for k, v in rep.items() if k != "checks"}, indent=1))
    if a.no_verify:
        return
    worst_s, worst_b = 0.0, 0.0
    for c in rep["checks"]:
        worst_s, worst_b = max(worst_s, c["max_abs_diff_scores"]), max(worst_b, c["max_abs_diff_boxes"])
        print(f"{c['input_kind']:>10} {c['input']}: ORT vs torch scores {c['max_abs_diff_scores']:.2e} "
              f"boxes {c['max_abs_diff_boxes']:.2e} px; ORT opt vs no-opt scores "
              f"{c['ort_opt_vs_noopt_max_abs_scores']:.2e}; max score {c['scores_min_max_mean'][1]:.3f}")
    if worst_s > TRAINED_SCORE_TOL:
        print(f"VERIFY FAILED: score diff {worst_s:.2e} > {TRAINED_SCORE_TOL}", file=sys.stderr)
        sys.exit(1)
    print(f"OK: max |ORT - torch| scores {worst_s:.2e} (<= {TRAINED_SCORE_TOL}), boxes {worst_b:.2e} px")


if __name__ == "__main__":
    main()
