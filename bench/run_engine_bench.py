#!/usr/bin/env python3
"""Benchmark the yolofuse engine against ONNX Runtime, side by side, and record the ratios.

  python3 bench/run_engine_bench.py                  # full matrix, rewrites BENCHMARKS.md
  python3 bench/run_engine_bench.py --quick --no-write
For every model x size x batch cell the engine (`yolofuse engine bench`) and ORT
(`tools/ort_bench.py`) run as separate processes, interleaved engine, ORT, engine, ORT ... for
--rounds rounds, so that noise from the machine falls on both alike; each side keeps its run with
the lowest median. Models are the scale-n, 80-class, opset-18 dynamic models of
tools/make_bench_models.py in bench/models/ (generated when missing; needs torch).
The table goes to stdout and, unless --no-write, replaces the section between the engine-bench
markers in BENCHMARKS.md.
"""
import argparse
import datetime
import importlib.util
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from onnx_flops import gflops_per_image  # noqa: E402

MODELS_DIR = ROOT / "bench" / "models"
BENCHMARKS = ROOT / "BENCHMARKS.md"
START, END = "<!-- engine-bench:start -->", "<!-- engine-bench:end -->"
ARCHS = {"mid": "mid fusion n", "early": "early fusion n", "yolov8": "yolov8n"}
CLASSES, OPSET = 80, 18


def rel(p):
    return os.path.relpath(p, ROOT)


def model_path(arch):
    return MODELS_DIR / f"{arch}_n_c{CLASSES}_op{OPSET}_dyn.onnx"


def ensure_models(archs):
    missing = [a for a in archs if not model_path(a).exists()]
    if not missing:
        return
    if importlib.util.find_spec("torch") is None:
        sys.exit(f"missing {', '.join(rel(model_path(a)) for a in missing)}; generating them "
                 "needs torch: pip install torch==2.13.0+cpu")
    print(f"generating {', '.join(missing)} into {rel(MODELS_DIR)}/ ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_bench_models.py"), "--out", str(MODELS_DIR),
                    "--classes", str(CLASSES), "--archs", *missing, "--scale", "n", "--size", "640",
                    "--opset", str(OPSET)], check=True)


def run_json(cmd, what):
    """Run one benchmark process and return the JSON object of its last JSON line."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        sys.exit(f"{what} failed (exit {p.returncode}): {shlex.join(cmd)}\n{p.stderr[-2000:]}{p.stdout[-1000:]}")
    return json.loads(lines[-1])


def iterations_for(batch, a):
    # Batch 8 costs ~8x per run; fewer runs keep a cell under ~10 s while still timing more images.
    return a.iterations if batch == 1 else max(5, math.ceil(2 * a.iterations / batch))


def bench_cell(arch, size, batch, a):
    model = str(model_path(arch))
    iters, warmup = iterations_for(batch, a), (a.warmup if batch == 1 else max(1, a.warmup // 2))
    engine_cmd = [a.yolofuse, "engine", "bench", model, "--batch", str(batch), "--size", str(size),
                  "--threads", str(a.threads), "--iterations", str(iters), "--warmup", str(warmup), "--json"]
    ort_cmd = [sys.executable, str(ROOT / "tools" / "ort_bench.py"), model, "--batch", str(batch),
               "--size", str(size), "--threads", str(a.threads), "--warmup", str(warmup), "--iters", str(iters)]
    engine_runs, ort_runs = [], []
    for r in range(a.rounds):
        engine_runs.append(run_json(engine_cmd, "engine"))
        ort_runs.append(run_json(ort_cmd, "onnxruntime"))
        print(f"  {arch} {size} b{batch} round {r + 1}/{a.rounds}: engine {engine_runs[-1]['median_ms_per_image']:.2f}"
              f" ms/img, ORT {ort_runs[-1]['median_ms_per_image']:.2f} ms/img", file=sys.stderr, flush=True)
    best = lambda runs: min(runs, key=lambda x: x["median_ms_per_image"])  # noqa: E731
    return {"arch": arch, "size": size, "batch": batch, "iters": iters, "engine": best(engine_runs), "ort": best(ort_runs)}


def measure_peak_gflops(threads, build_dir):
    """The machine's FMA peak on `threads` threads, from bench/fma_peak.c (needs a C compiler with OpenMP); the
    binary is built into `build_dir` once."""
    binary = Path(build_dir) / "fma_peak"
    if not binary.exists():
        build = subprocess.run(["cc", "-O2", "-fopenmp", str(ROOT / "bench" / "fma_peak.c"), "-o", str(binary)],
                               capture_output=True, text=True)
        if build.returncode != 0:
            sys.exit(f"cannot build bench/fma_peak.c ({build.stderr.strip()[-500:]}); pass --peak-gflops instead")
    return run_json([str(binary), str(threads)], "fma_peak")["gflops"]


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def git_commit():
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return rev + (" (with uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def render(results, a, command):
    e0 = results[0]["ort"]
    lines = [
        "## Engine vs ONNX Runtime (CPU)",
        "",
        f"Produced by `{command}` on {datetime.date.today().isoformat()}, commit {git_commit()}.",
        f"Machine: {cpu_model()}, {os.cpu_count()} cores; onnxruntime {e0.get('onnxruntime', '?')}; "
        f"{a.threads} threads for both.",
        f"Models: scale n, {CLASSES} classes, opset {OPSET}, dynamic, random weights "
        f"(`tools/make_bench_models.py`); inputs uniform [0, 1). Each side ran as its own process, interleaved "
        f"for {a.rounds} round(s); figures are from each side's run with the lowest median. "
        "Peak RSS is the whole process (ORT's includes the Python interpreter and numpy).",
        "",
        "| model | size | batch | engine median ms/img | engine p90 | ORT median ms/img | ORT p90 "
        "| ratio engine/ORT (median) | engine peak RSS MiB | ORT peak RSS MiB | engine load+warm-up s |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for c in results:
        e, o = c["engine"], c["ort"]
        ratio = e["median_ms_per_image"] / o["median_ms_per_image"]
        lines.append(f"| {ARCHS[c['arch']]} | {c['size']} | {c['batch']} | {e['median_ms_per_image']:.2f} "
                     f"| {e['p90_ms_per_image']:.2f} | {o['median_ms_per_image']:.2f} | {o['p90_ms_per_image']:.2f} "
                     f"| **{ratio:.2f}** | {e['peak_rss_mib']:.0f} | {o.get('peak_rss_mib', float('nan')):.0f} "
                     f"| {e['load_and_warmup_s']:.2f} |")
    lines += ["", efficiency_line(results, a)]
    return "\n".join(lines)


def efficiency_line(results, a):
    # Reported at 640 batch 1; a run without that cell (e.g. --quick) falls back to its largest batch-1 size.
    b1 = [c for c in results if c["batch"] == 1]
    if not b1:
        return "Share of peak FLOP/s: no batch-1 cell was run."
    size = 640 if any(c["size"] == 640 for c in b1) else max(c["size"] for c in b1)
    parts = []
    for c in (c for c in b1 if c["size"] == size):
        g = gflops_per_image(str(model_path(c["arch"])), size)
        pct = lambda side: 100 * g / (c[side]["median_ms_per_image"] / 1e3) / a.peak_gflops  # noqa: E731
        parts.append(f"{ARCHS[c['arch']]} {g:.2f} GFLOPs/img: engine {pct('engine'):.1f}% (ORT {pct('ort'):.1f}%)")
    source = ("given with --peak-gflops" if a.peak_measured is None else
              f"the FMA peak on {a.threads} threads measured in this run by `bench/fma_peak.c`, best of before and after")
    return (f"Share of peak FLOP/s at {size}, batch 1 (peak {a.peak_gflops:g} GFLOP/s, {source}; GFLOPs = 2 x MACs "
            f"of Conv/MatMul from the ONNX graph, as if every convolution were direct, so Winograd's saved "
            f"multiplications count as speed): " + "; ".join(parts) + ".")


def write_section(section, start=START, end=END):
    """Replaces the block between the markers in BENCHMARKS.md (other benches pass their own markers)."""
    block = f"{start}\n{section}\n{end}"
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else (
        "# Benchmarks\n\nSections between `<!-- ...:start -->` / `<!-- ...:end -->` markers are generated; "
        "rerun the command they name instead of editing them.\n\n")
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    BENCHMARKS.write_text(text)


def publish(section, write, start=START, end=END):
    """Prints a section and, unless told not to, puts it in BENCHMARKS.md."""
    print(section)
    if write:
        write_section(section, start, end)
        print(f"\nwrote {rel(BENCHMARKS)}", file=sys.stderr)


def csv_list(kind, allowed=None):
    def parse(s):
        items = [kind(x) for x in s.split(",") if x.strip()]
        if allowed and (bad := [x for x in items if x not in allowed]):
            raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {','.join(allowed)}")
        return items
    return parse


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--yolofuse", default=str(ROOT / ".build" / "release" / "yolofuse"), help="engine CLI binary")
    ap.add_argument("--models", type=csv_list(str, ARCHS), default=list(ARCHS), help="comma list: mid,early,yolov8")
    ap.add_argument("--sizes", type=csv_list(int), default=[640, 320])
    ap.add_argument("--batches", type=csv_list(int), default=[1, 8])
    ap.add_argument("--iterations", type=int, default=20, help="timed runs at batch 1 (fewer at larger batches)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2, help="interleaved engine/ORT rounds per cell")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--peak-gflops", type=float, help="machine FMA peak for the %% of peak line "
                    "(default: measured with bench/fma_peak.c before and after the cells)")
    ap.add_argument("--no-write", action="store_true", help="leave BENCHMARKS.md alone")
    ap.add_argument("--quick", action="store_true", help="smoke test: first model only, size 320, batch 1")
    a = ap.parse_args()
    if a.quick:
        a.models, a.sizes, a.batches = a.models[:1], [320], [1]
    if min(a.iterations, a.rounds, a.threads) < 1 or a.warmup < 0:
        ap.error("--iterations, --rounds and --threads must be positive")

    if not os.access(a.yolofuse, os.X_OK):
        sys.exit(f"engine binary not found at {a.yolofuse}; build it first with `swift build -c release` "
                 "(or pass --yolofuse PATH)")
    ensure_models(a.models)

    # The machine's speed drifts, so the peak is measured around the cells and the higher figure kept.
    peak_build = tempfile.TemporaryDirectory()
    a.peak_measured = None if a.peak_gflops else [measure_peak_gflops(a.threads, peak_build.name)]
    cells = [(m, s, b) for m in a.models for s in a.sizes for b in a.batches]
    results = []
    for i, (m, s, b) in enumerate(cells, 1):
        print(f"[{i}/{len(cells)}] {m} size {s} batch {b}", file=sys.stderr, flush=True)
        results.append(bench_cell(m, s, b, a))
    if a.peak_measured is not None:
        a.peak_measured.append(measure_peak_gflops(a.threads, peak_build.name))
        print(f"FMA peak before and after: {a.peak_measured} GFLOP/s", file=sys.stderr)
        a.peak_gflops = max(a.peak_measured)

    command = shlex.join(["python3", rel(__file__), *sys.argv[1:]])
    publish(render(results, a, command), not a.no_write)


if __name__ == "__main__":
    main()
