#!/usr/bin/env python3
"""Contact sheet of dataset pairs: RGB | IR per row, label boxes drawn on both, condition noted.

  python3 tools/synth_preview.py DATA --split train --n 8 --out contact.png [--no-boxes]
"""
import argparse
import csv
import os

from PIL import Image, ImageDraw

COLOURS = [(255, 60, 60), (60, 200, 255), (255, 220, 0)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("--split", default="train")
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--width", type=int, default=400, help="width of each tile")
    ap.add_argument("--no-boxes", action="store_true")
    ap.add_argument("--condition", help="only pairs of this condition (needs conditions.csv)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    root = os.path.join(a.data, a.split)
    cond = {}
    cpath = os.path.join(a.data, "conditions.csv")
    if os.path.exists(cpath):
        with open(cpath) as f:
            cond = {r["name"]: r["condition"] for r in csv.DictReader(f)}
    names = sorted(f[:-4] for f in os.listdir(os.path.join(root, "images")))
    if a.condition:
        names = [n for n in names if cond.get(n) == a.condition]
    names = names[a.start:a.start + a.n]
    tiles = []
    for n in names:
        rgb = Image.open(os.path.join(root, "images", n + ".jpg")).convert("RGB")
        ir = Image.open(os.path.join(root, "imagesIR", n + ".jpg")).convert("RGB")
        W, H = rgb.size
        th = round(a.width * H / W)
        row = []
        for im in (rgb, ir):
            im = im.resize((a.width, th), Image.BILINEAR)
            d = ImageDraw.Draw(im)
            if not a.no_boxes:
                with open(os.path.join(root, "labels", n + ".txt")) as f:
                    for line in f:
                        c, cx, cy, w, h = line.split()
                        c, cx, cy, w, h = int(c), float(cx), float(cy), float(w), float(h)
                        d.rectangle(((cx - w / 2) * a.width, (cy - h / 2) * th, (cx + w / 2) * a.width,
                                     (cy + h / 2) * th), outline=COLOURS[c % 3])
            d.text((4, 2), f"{n} {cond.get(n, '')}", fill=(255, 255, 0))
            row.append(im)
        tiles.append(row)
    th = tiles[0][0].size[1]
    sheet = Image.new("RGB", (2 * a.width + 4, len(tiles) * (th + 4)), (0, 0, 0))
    for i, (l, r) in enumerate(tiles):
        sheet.paste(l, (0, i * (th + 4)))
        sheet.paste(r, (a.width + 4, i * (th + 4)))
    sheet.save(a.out)
    print(a.out, sheet.size)


if __name__ == "__main__":
    main()
