#!/usr/bin/env python3
"""Train the YOLOFuse-style detectors (or their single-modality twins) on a paired RGB+IR dataset.

  --arch mid     mid-level feature fusion, YOLO11 blocks (default)
  --arch early   early feature fusion, YOLOv8 blocks
  --arch rgb     single-stream YOLOv8 fed the RGB half of the input
  --arch ir      single-stream YOLOv8 fed the IR half (IR replicated to 3 channels)
The rgb/ir twins default to the YOLOv8 width whose parameter count matches mid fusion at the
same --scale, so fusion is compared against single streams of the same size.

Loss: TAL assignment + BCE class + CIoU box + DFL (tools/yolofuse_train/loss.py). Optimiser
AdamW (or SGD) with linear warm-up and linear decay, EMA of the weights (the EMA is what gets
evaluated, saved as the model to export, and exported). Each epoch appends a row to
OUT/results.csv (losses, val mAP50 / mAP50-95, AP50 per class and mAP50 per scene condition)
and writes OUT/last.pt (model, EMA, optimiser, epoch) and OUT/best.pt (best val fitness,
0.1 mAP50 + 0.9 mAP50-95).

  python3 tools/train.py --data data/synth --arch mid --scale n --imgsz 320 --epochs 30 --batch 16 --out runs/mid_n
  python3 tools/train.py --out runs/mid_n --resume            # continue from runs/mid_n/last.pt
  python3 tools/train.py --data data/new --arch mid --init runs/mid_n/best.pt --out runs/mid_n_ft  # fine-tune
  python3 tools/train.py --data data/new --arch mid --init Models/default/model.onnx --out runs/mid_ft  # from an export
  python3 tools/export_models.py --checkpoint runs/mid_n/best.pt --out mid_n.onnx
"""
import argparse
import copy
import csv
import json
import math
import os
import sys
import time
from collections import Counter

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yolofuse_models import SCALES, build, build_from_meta  # noqa: E402
from yolofuse_train.distill import ScoreDistillation, load_teacher  # noqa: E402
from yolofuse_train.data import PairDataset, collate, read_meta  # noqa: E402
from yolofuse_train.loss import DetectionLoss, init_detect_bias  # noqa: E402
from yolofuse_train.metrics import DetectionMetrics, nms  # noqa: E402
from yolofuse_train.onnx_init import calibrate_batchnorm, check_against_onnx, load_onnx_weights  # noqa: E402
from yolofuse_train.stream_heads import StreamHeads  # noqa: E402

CONDITIONS = ("day", "night", "fog", "glare")


def count_params(m):
    return sum(p.numel() for p in m.parameters())


def twin_width(scale, nc, mid_width=None):
    """YOLOv8 width whose parameter count is closest to mid fusion's at this scale, or at mid_width (bisection)."""
    target = count_params(build("mid", scale, nc, width=mid_width))
    lo, hi = 0.05, 2.0 * max(1.0, mid_width or 1.0)
    for _ in range(18):
        mid = (lo + hi) / 2
        if count_params(build("rgb", nc=nc, width=mid)) < target:
            lo = mid
        else:
            hi = mid
    return round(hi, 4)


def drop_modality(x, p, gen):
    """Modality dropout: each pair of the batch [N, 6, H, W] loses its RGB (channels 0-2) or its IR
    (3-5) with probability p, set to black, as a dead or covered camera would deliver it."""
    n = x.shape[0]
    drop = torch.rand(n, generator=gen) < p
    if not drop.any():
        return x
    ir = torch.rand(n, generator=gen) < 0.5
    x = x.clone()
    x[drop & ~ir, :3] = 0
    x[drop & ir, 3:] = 0
    return x


def model_meta(args, nc, names):
    twin_of = getattr(args, "twin_of_width", None)  # absent from checkpoints written before it
    width = args.width if args.width else (twin_width(args.scale, nc, twin_of) if args.arch in ("rgb", "ir")
                                           else SCALES[args.scale])
    m = build(args.arch, nc=nc, width=width, stream_widths=args.stream_widths)
    return {"arch": args.arch, "scale": args.scale, "width": width, "stream_widths": args.stream_widths, "nc": nc,
            "names": names,
            "imgsz": args.imgsz, "fusion": m.fusion, "modality": m.modality, "channels": m.channels,
            "params": count_params(m)}


def rescale_batch(x, targets, size):
    """Multi-scale training: the batch [N, C, S, S] resized to size x size (bilinear), its pixel boxes with it."""
    if size == x.shape[-1]:
        return x, targets
    targets = targets.clone()
    targets[:, 2:6] *= size / x.shape[-1]
    return torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False), targets


def multi_scale_min(text):
    """"320" -> 320: the smallest side of multi-scale training (a multiple of the stride, 32)."""
    v = int(text)
    if v < 32 or v % 32:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a multiple of 32, such as 320")
    return v


def stream_widths(text):
    """"1.2,0.75" -> (1.2, 0.75): the RGB and IR backbone widths of mid fusion."""
    try:
        rgb, ir = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected two numbers, RGB then IR, such as 1.2,0.75")
    if rgb <= 0 or ir <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: widths must be positive")
    return (rgb, ir)


class EMA:
    """Exponential moving average of weights; the decay ramps up so early updates follow fast."""

    def __init__(self, model, decay=0.9999, tau=2000, updates=0):
        self.ema = copy.deepcopy(model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.decay, self.tau, self.updates = decay, tau, updates

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        msd = model.state_dict()
        for k, v in self.ema.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
            else:
                v.copy_(msd[k])


def make_optimizer(model, name, lr, momentum, weight_decay):
    # Decay conv/linear weights only; BatchNorm scales and all biases are left alone.
    decay, no_decay, bias = [], [], []
    for mod in model.modules():
        for pname, p in mod.named_parameters(recurse=False):
            if not p.requires_grad:
                continue
            if pname == "bias":
                bias.append(p)
            elif isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
                no_decay.append(p)
            else:
                decay.append(p)
    if name == "sgd":
        opt = torch.optim.SGD(no_decay, lr=lr, momentum=momentum, nesterov=True)
    else:
        opt = torch.optim.AdamW(no_decay, lr=lr, betas=(momentum, 0.999), weight_decay=0.0)
    opt.add_param_group({"params": decay, "weight_decay": weight_decay})
    opt.add_param_group({"params": bias, "weight_decay": 0.0, "is_bias": True})
    return opt


@torch.no_grad()
def evaluate(model, loader, device, nc, names, conf=0.001, iou=0.7, max_det=300):
    model.eval()
    metrics = DetectionMetrics(nc, names)
    for imgs, targets, idx in loader:
        out = model(imgs.to(device).float() / 255).float().cpu()
        for k, det in enumerate(nms(out, conf, iou, max_det)):
            gt = targets[targets[:, 0] == k][:, 1:]
            metrics.add(det, gt, loader.dataset.conditions[idx[k]])
    return metrics.summary()


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def condition_list(text):
    """"day,glare" -> ["day", "glare"]."""
    names = text.split(",")
    for name in names:
        if name not in CONDITIONS:
            raise argparse.ArgumentTypeError(f"{name!r}: expected conditions from {CONDITIONS}, comma-separated")
    return names


def condition_weights(text):
    """"day=2,fog=1.5" -> {"day": 2.0, "fog": 1.5}; unnamed conditions weigh 1."""
    weights = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep or name not in CONDITIONS:
            raise argparse.ArgumentTypeError(f"{item!r}: expected CONDITION=WEIGHT, CONDITION one of {CONDITIONS}")
        weights[name] = float(value)
        if weights[name] <= 0:
            raise argparse.ArgumentTypeError(f"{item!r}: a weight must be positive")
    return weights


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="dataset root (with train/ val/ and dataset.json)")
    ap.add_argument("--arch", choices=["mid", "early", "rgb", "ir"], default="mid")
    ap.add_argument("--scale", choices=sorted(SCALES), default="n")
    ap.add_argument("--width", type=float, default=None, help="override the width multiplier")
    ap.add_argument("--twin-of-width", type=float, default=None,
                    help="RGB and IR twins: as many parameters as mid fusion at this width (default: at --scale)")
    ap.add_argument("--stream-widths", type=stream_widths, default=None,
                    help="mid fusion: RGB,IR backbone widths apart from the head's --width, e.g. 1.2,0.75")
    ap.add_argument("--imgsz", type=int, default=320)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--optimizer", choices=["adamw", "sgd"], default="adamw")
    ap.add_argument("--lr", type=float, default=None, help="initial lr (default 0.002 AdamW, 0.01 SGD)")
    ap.add_argument("--lrf", type=float, default=0.01, help="final lr as a fraction of --lr")
    ap.add_argument("--momentum", type=float, default=0.937, help="SGD momentum / AdamW beta1")
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--warmup-epochs", type=float, default=2.0)
    ap.add_argument("--mosaic", type=float, default=0.5, help="mosaic probability")
    ap.add_argument("--close-mosaic", type=int, default=None, help="no mosaic in the last N epochs (default epochs//5)")
    ap.add_argument("--no-augment", action="store_true")
    ap.add_argument("--modality-dropout", type=float, default=0.0,
                    help="fusion models: blank one modality (RGB or IR, even odds) of each training pair with "
                         "this probability, so neither stream learns to lean on the other")
    ap.add_argument("--multi-scale", type=multi_scale_min, default=None, metavar="MIN",
                    help="train each batch at a random size from MIN to --imgsz in steps of 32 (pairs are loaded at "
                         "--imgsz and scaled down), so a model served at another size than it was trained at has "
                         "seen that size")
    ap.add_argument("--stream-heads", type=float, default=0.0,
                    help="mid fusion only: add this weight times the loss of a training-only head on each "
                         "stream's own features, so neither stream is left to lean on the other")
    ap.add_argument("--condition-weights", type=condition_weights, default=None,
                    help="sample training pairs of these conditions this many times as often as the rest, "
                         "e.g. day=2 (with replacement; an epoch keeps its length)")
    ap.add_argument("--teacher", default=None,
                    help="distil class scores from this trained checkpoint (such as the RGB twin's best.pt), "
                         "frozen, as an extra loss (tools/yolofuse_train/distill.py)")
    ap.add_argument("--teacher-conditions", type=condition_list, default=None,
                    help="distil only on pixels from pairs of these conditions, e.g. day (default: all)")
    ap.add_argument("--teacher-gain", type=float, default=1.0,
                    help="weight of the distillation loss relative to the class loss")
    ap.add_argument("--ema", type=int, default=1, help="1: keep an EMA of the weights (evaluated and exported)")
    ap.add_argument("--workers", type=int, default=1, help="data loader processes (0: load in the main process)")
    ap.add_argument("--device", default="auto", help="auto (cuda if available), cpu, cuda, cuda:1 ...")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    ap.add_argument("--train-limit", type=int, default=None, help="use only the first N training pairs")
    ap.add_argument("--val-limit", type=int, default=None, help="evaluate on the first N val pairs")
    ap.add_argument("--val-every", type=int, default=1)
    ap.add_argument("--cache", action="store_true", help="keep decoded images in RAM (long side = imgsz)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="run directory (default runs/ARCH_SCALE)")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    ap.add_argument("--init", default=None,
                    help="start from this checkpoint's weights (its EMA when it has one), or from an exported model "
                         "(.onnx, such as Models/default/model.onnx), with a new optimiser and schedule: "
                         "fine-tuning on new data; the architecture must match")
    return ap.parse_args(argv)


# Options a resumed run may change; everything else comes from the checkpoint.
RESUME_OVERRIDES = ("epochs", "workers", "device", "threads", "val_every", "val_limit", "cache")


def main(argv=None):
    args = parse_args(argv)
    out = args.out or os.path.join("runs", f"{args.arch}_{args.scale}")
    ckpt = None
    if args.resume:
        path = os.path.join(out, "last.pt")
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
        saved = ckpt["args"]
        given = {k: getattr(args, k) for k in RESUME_OVERRIDES}
        cli = set(a.lstrip("-").replace("-", "_").split("=")[0] for a in (argv or sys.argv[1:]) if a.startswith("--"))
        args = argparse.Namespace(**saved)
        for k, v in given.items():
            if k in cli:
                setattr(args, k, v)
        print(f"resuming {path}: next epoch {ckpt['epoch'] + 2}/{args.epochs}")
    if not args.data:
        sys.exit("--data is required")
    if getattr(args, "stream_heads", 0.0) and args.arch != "mid":
        sys.exit("--stream-heads: mid fusion only (it has a stream per modality)")
    if getattr(args, "twin_of_width", None) and (args.arch not in ("rgb", "ir") or args.width):
        sys.exit("--twin-of-width: RGB and IR twins only, and not with --width")
    if getattr(args, "stream_widths", None) and args.arch != "mid":
        sys.exit("--stream-widths: mid fusion only (it has a backbone per modality)")
    multi_scale = getattr(args, "multi_scale", None)  # absent from checkpoints written before it
    if multi_scale and multi_scale > args.imgsz:
        sys.exit(f"--multi-scale {multi_scale}: the smallest size must not exceed --imgsz {args.imgsz}")
    if multi_scale and getattr(args, "teacher", None):
        sys.exit("--multi-scale: not with --teacher (its condition masks are made at --imgsz)")
    if getattr(args, "teacher_conditions", None) and not getattr(args, "teacher", None):
        sys.exit("--teacher-conditions: only with --teacher")
    os.makedirs(out, exist_ok=True)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                          else ("cpu" if args.device == "auto" else args.device))
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    meta_ds = read_meta(args.data)
    names = [meta_ds["names"][str(i)] for i in range(len(meta_ds["names"]))]
    nc = len(names)
    meta = ckpt["meta"] if ckpt else model_meta(args, nc, names)
    model = build_from_meta(meta)
    init_from_export = not ckpt and bool(args.init) and args.init.endswith(".onnx")
    if ckpt:
        model.load_state_dict(ckpt["model"])
    elif init_from_export:
        try:
            load_onnx_weights(model, args.init)
        except ValueError as e:
            sys.exit(f"--init: {e}")
    elif args.init:
        src = torch.load(args.init, map_location="cpu", weights_only=False)
        mismatch = {k: (src["meta"].get(k), meta.get(k)) for k in ("arch", "width", "stream_widths", "nc", "channels")
                    if src["meta"].get(k) != meta.get(k)}
        if mismatch:
            sys.exit(f"--init {args.init}: architecture differs (checkpoint, this run): {mismatch}")
        model.load_state_dict(src["ema"] or src["model"])
        print(f"initialised from {args.init} (epoch {src['epoch'] + 1} of {src['args']['data']})")
    else:
        init_detect_bias(model.detect, args.imgsz)
    model.to(device)
    streams = f" streams {meta['stream_widths']}" if meta.get("stream_widths") else ""
    print(f"{meta['arch']} scale {meta['scale']} width {meta['width']}{streams}: {meta['params'] / 1e6:.3f} M params, "
          f"device {device}, {torch.get_num_threads()} threads")

    # The options are absent from checkpoints written before them.
    teacher_path, teacher_conditions = getattr(args, "teacher", None), getattr(args, "teacher_conditions", None)
    distill = None
    if teacher_path:
        try:
            teacher, tmeta = load_teacher(teacher_path, device)
        except (OSError, KeyError) as e:
            sys.exit(f"--teacher {teacher_path}: not a tools/train.py checkpoint ({e})")
        if tmeta["nc"] != nc:
            sys.exit(f"--teacher {teacher_path}: {tmeta['nc']} classes, the data has {nc}")
        distill = ScoreDistillation(teacher, nc, model.detect.reg_max, model.detect.strides)
        print(f"distilling from {teacher_path} ({tmeta['arch']}, {tmeta['params'] / 1e6:.3f} M params) on "
              f"{', '.join(teacher_conditions) if teacher_conditions else 'every condition'}, "
              f"gain {args.teacher_gain}")

    hyp = {"mosaic": args.mosaic}
    try:
        train_ds = PairDataset(args.data, "train", args.imgsz, augment=not args.no_augment, hyp=hyp,
                               limit=args.train_limit, seed=args.seed, cache=args.cache,
                               mask_conditions=teacher_conditions)
    except ValueError as e:
        sys.exit(f"--teacher-conditions: {e}")
    val_ds = PairDataset(args.data, "val", args.imgsz, augment=False, limit=args.val_limit, cache=args.cache)
    val_loader = torch.utils.data.DataLoader(val_ds, batch_size=args.batch, shuffle=False,
                                             num_workers=args.workers, collate_fn=collate)
    nb = math.ceil(len(train_ds) / args.batch)
    # The option is absent from checkpoints written before it.
    weights = getattr(args, "condition_weights", None)
    pair_weights = torch.tensor([weights.get(c, 1.0) for c in train_ds.conditions]) if weights else None
    if weights:
        counts, total = Counter(train_ds.conditions), float(pair_weights.sum())
        print("training pairs drawn by condition: " + ", ".join(
            f"{c or '?'} {weights.get(c, 1.0) * n / total:.0%}" for c, n in sorted(counts.items())))
    if init_from_export:
        # BatchNorm statistics from unaugmented training pairs; eval-mode outputs stay the export's.
        calib = PairDataset(args.data, "train", args.imgsz, augment=False, limit=4 * args.batch)
        batches = [imgs.float() / 255 for imgs, _, _ in torch.utils.data.DataLoader(
            calib, batch_size=args.batch, num_workers=0, collate_fn=collate)]
        model.cpu()
        calibrate_batchnorm(model, batches)
        diff = check_against_onnx(model, args.init, batches[0][:2])
        print(f"initialised from {args.init}: BatchNorm calibrated on {len(calib)} pairs, "
              f"largest difference from ONNX Runtime {diff:.2e}")
        model.to(device)

    # The option is absent from checkpoints written before it.
    head_gain = getattr(args, "stream_heads", 0.0) if meta["arch"] == "mid" else 0.0
    heads = StreamHeads(model, nc, args.imgsz).to(device) if head_gain else None
    if heads and ckpt:
        heads.load_state_dict(ckpt["stream_heads"])
    trained = torch.nn.ModuleList([model, heads]) if heads else model
    lr0 = args.lr or (0.01 if args.optimizer == "sgd" else 0.002)
    opt = make_optimizer(trained, args.optimizer, lr0, args.momentum, args.weight_decay)
    ema = EMA(model) if args.ema else None
    if heads:
        heads.attach(model)  # after the EMA's copy, which must not carry the hooks
    start_epoch, best = 0, -1.0
    if ckpt:
        opt.load_state_dict(ckpt["optimizer"])
        if ema and ckpt.get("ema"):
            ema.ema.load_state_dict(ckpt["ema"])
            ema.updates = ckpt["ema_updates"]
        start_epoch, best = ckpt["epoch"] + 1, ckpt["best_fitness"]
    criterion = DetectionLoss(model.detect)
    lf = lambda e: (1 - e / args.epochs) * (1 - args.lrf) + args.lrf  # linear decay
    n_warm = round(args.warmup_epochs * nb)
    close_mosaic = args.close_mosaic if args.close_mosaic is not None else args.epochs // 5

    results = os.path.join(out, "results.csv")
    cols = (["epoch", "time_s", "lr", "train/box_loss", "train/cls_loss", "train/dfl_loss",
             "val/mAP50", "val/mAP50-95"] + [f"val/AP50_{n}" for n in names]
            + [f"val/mAP50_{c}" for c in CONDITIONS])
    if not ckpt or not os.path.exists(results):
        with open(results, "w", newline="") as f:
            csv.writer(f).writerow(cols)
    with open(os.path.join(out, "args.json"), "w") as f:
        json.dump({"args": vars(args), "meta": meta}, f, indent=1)

    # Fusion models only; the option is absent from checkpoints written before it.
    drop_p = getattr(args, "modality_dropout", 0.0) if meta["arch"] in ("mid", "early") else 0.0
    for epoch in range(start_epoch, args.epochs):
        t0 = time.time()
        drop_gen = torch.Generator().manual_seed(args.seed * 1000 + epoch + 1)
        size_gen = torch.Generator().manual_seed(args.seed * 1000 + epoch + 2)
        model.train()
        train_ds.epoch = epoch
        if epoch >= args.epochs - close_mosaic:
            train_ds.hyp["mosaic"] = 0.0
        # Shuffle order is a function of (seed, epoch), so a resumed run sees the same batches.
        order = torch.Generator().manual_seed(args.seed * 1000 + epoch)
        sampler = (torch.utils.data.WeightedRandomSampler(pair_weights, len(train_ds), generator=order)
                   if pair_weights is not None else None)
        loader = torch.utils.data.DataLoader(
            train_ds, batch_size=args.batch, shuffle=sampler is None, sampler=sampler, num_workers=args.workers,
            collate_fn=collate, generator=order)
        mean = torch.zeros(4)
        for i, (imgs, targets, _, *masks) in enumerate(loader):
            ni = i + nb * epoch
            for g in opt.param_groups:
                target_lr = lr0 * lf(epoch)
                if ni < n_warm:  # linear warm-up; biases come down from 0.1 as in the SGD recipe
                    start = 0.1 if (g.get("is_bias") and args.optimizer == "sgd") else 0.0
                    g["lr"] = np.interp(ni, [0, n_warm], [start, target_lr])
                    if args.optimizer == "sgd":
                        g["momentum"] = np.interp(ni, [0, n_warm], [0.8, args.momentum])
                else:
                    g["lr"] = target_lr
            x = imgs.to(device, non_blocking=True).float() / 255
            if multi_scale:
                size = 32 * int(torch.randint(multi_scale // 32, args.imgsz // 32 + 1, (), generator=size_gen))
                x, targets = rescale_batch(x, targets, size)
            if drop_p:
                x = drop_modality(x, drop_p, drop_gen)
            feats = model(x)
            loss, items = criterion(feats, targets)
            l_distill = torch.zeros((), device=device)
            if distill:
                mask = (masks[0].to(device).float() / 255 if masks
                        else torch.ones_like(x[:, :1]))
                l_distill = distill.loss(x, feats, mask, criterion.last_norm)
                loss = loss + args.teacher_gain * criterion.gains[1] * l_distill * x.shape[0]
            items = torch.cat((items, l_distill.detach()[None]))
            if heads:
                loss = loss + head_gain * heads.loss(targets)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trained.parameters(), 10.0)
            opt.step()
            if ema:
                ema.update(model)
            mean = (mean * i + items.cpu()) / (i + 1)
            if i % 20 == 0 or i == nb - 1:
                print(f"epoch {epoch + 1}/{args.epochs} it {i + 1}/{nb} box {mean[0]:.4f} cls {mean[1]:.4f} "
                      f"dfl {mean[2]:.4f}{f' distil {mean[3]:.4f}' if distill else ''} ({time.time() - t0:.0f} s)",
                      flush=True)

        row = {"epoch": epoch + 1, "lr": opt.param_groups[0]["lr"], "train/box_loss": float(mean[0]),
               "train/cls_loss": float(mean[1]), "train/dfl_loss": float(mean[2])}
        eval_model = ema.ema if ema else model
        fitness = None
        if (epoch + 1) % args.val_every == 0 or epoch + 1 == args.epochs:
            r = evaluate(eval_model, val_loader, device, nc, names)
            row.update({"val/mAP50": r["mAP50"], "val/mAP50-95": r["mAP50-95"]})
            row.update({f"val/AP50_{k}": v for k, v in r["per_class_AP50"].items()})
            row.update({f"val/mAP50_{k}": v for k, v in r["per_group_mAP50"].items()})
            fitness = 0.1 * r["mAP50"] + 0.9 * r["mAP50-95"]
            print(f"epoch {epoch + 1}: val mAP50 {r['mAP50']:.4f} mAP50-95 {r['mAP50-95']:.4f} "
                  f"per class {json.dumps({k: round(v, 3) for k, v in r['per_class_AP50'].items()})} "
                  f"per condition {json.dumps({k: round(v, 3) for k, v in r['per_group_mAP50'].items()})}", flush=True)
        row["time_s"] = round(time.time() - t0, 1)
        with open(results, "a", newline="") as f:
            csv.writer(f).writerow([(f"{row[c]:.5g}" if isinstance(row.get(c), float) else row.get(c, ""))
                                    for c in cols])
        state = {"epoch": epoch, "model": model.state_dict(), "optimizer": opt.state_dict(),
                 "ema": ema.ema.state_dict() if ema else None, "ema_updates": ema.updates if ema else 0,
                 "best_fitness": best, "args": vars(args), "meta": meta,
                 "stream_heads": heads.state_dict() if heads else None}
        if fitness is not None and fitness > best:
            best = state["best_fitness"] = fitness
            save_atomic(state, os.path.join(out, "best.pt"))
        save_atomic(state, os.path.join(out, "last.pt"))
    print(f"done: {out} (best fitness {best:.4f})")


if __name__ == "__main__":
    main()
