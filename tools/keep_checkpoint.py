#!/usr/bin/env python3
"""Keep a training checkpoint in the repository, small: the weights that get exported and nothing else.

A tools/train.py checkpoint carries the model, its EMA and the optimiser state. Fine-tuning
(`train.py --init`) and export read only the EMA weights and the metadata, so this writes those,
and continuing from the kept file is exactly continuing from the original. runs/ is not kept
between machines; bench/checkpoints/ is.

  python3 tools/keep_checkpoint.py runs/rgb_n_g3/best.pt bench/checkpoints/rgb_n_g3.pt
"""
import argparse
import os

import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    a = ap.parse_args()
    ck = torch.load(a.checkpoint, map_location="cpu", weights_only=False)
    weights = ck["ema"] if ck.get("ema") else ck["model"]
    kept = {"epoch": ck["epoch"], "model": None, "ema": weights, "best_fitness": ck.get("best_fitness"),
            "args": ck["args"], "meta": ck["meta"]}
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    torch.save(kept, a.out)
    print(f"{a.checkpoint} -> {a.out}: {ck['meta']['arch']}, epoch {ck['epoch'] + 1} of {ck['args']['data']}, "
          f"{os.path.getsize(a.out) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
