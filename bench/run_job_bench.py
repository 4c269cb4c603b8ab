#!/usr/bin/env python3
"""Job benchmark: a video pair as an asynchronous job through `yolofuse serve`, against `yolofuse detect` on the
same files.

  python3 bench/run_job_bench.py            # writes the job section of BENCHMARKS.md
  python3 bench/run_job_bench.py --no-write

Needs `swift build -c release` and the ffmpeg command (Debian's `ffmpeg`), which makes the videos: 1280x1024 RGB
and 640x512 IR, 30 fps, 10 s. The server is `yolofuse serve` (role all: API and worker in one process) on
127.0.0.1 with SQLite in a temporary folder and the bundled default model at each size. The job's time runs from
the start of the upload to the first poll (every 20 ms) that finds it succeeded: upload, checks, queueing, the
worker's claim, detection, result lines. The CLI's is its own pairs-per-second figure. Both sides run twice,
interleaved; each keeps its better run.
"""
import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_api_bench import MODEL, Server, call, multipart  # noqa: E402
from run_engine_bench import ROOT, cpu_model, git_commit, publish  # noqa: E402
from run_pipeline_bench import make_videos, video_pairs  # noqa: E402

START, END = "<!-- job-bench:start -->", "<!-- job-bench:end -->"


def job_pairs(server, key, rgb, ir):
    body, content_type = multipart([("rgb_video", "video/mp4", rgb.read_bytes()), ("ir_video", "video/mp4", ir.read_bytes())])
    started = time.perf_counter()
    job = call(server.port, "/v1/jobs", "POST", key, body, content_type)
    while job["state"] in ("queued", "running"):
        time.sleep(0.02)
        job = call(server.port, f"/v1/jobs/{job['id']}", "GET", key)
    seconds = time.perf_counter() - started
    if job["state"] != "succeeded":
        raise SystemExit(f"the job {job['state']}: {job.get('error')}")
    pairs = job["progress"]["done"]
    return {"pairs": pairs, "seconds": seconds, "rate": pairs / seconds}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--yolofuse", default=str(ROOT / ".build" / "release" / "yolofuse"))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    if not Path(a.yolofuse).exists():
        sys.exit(f"{a.yolofuse} not found: run `swift build -c release` first")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rgb, ir = make_videos(tmp)
        for port, size in ((18431, 320), (18432, 640)):
            server = Server(a.yolofuse, tmp, port, size, batch=8)
            try:
                key = server.tenant("bench")
                cli, job = None, None
                for _ in range(a.rounds):
                    c = video_pairs(a.yolofuse, MODEL, rgb, ir, size)
                    j = job_pairs(server, key, rgb, ir)
                    cli = c if cli is None or c["rate"] > cli["rate"] else cli
                    job = j if job is None or j["rate"] > job["rate"] else job
            finally:
                server.stop()
            rows.append((size, cli, job))

    command = "python3 bench/run_job_bench.py" + (" --no-write" if a.no_write else "")
    lines = [
        "## Video jobs (asynchronous, through the API)",
        "",
        f"Produced by `{command}` on {date.today()}, commit {git_commit()}. Machine: {cpu_model()}; 2 threads.",
        "",
        "Video pair: 1280x1024 RGB + 640x512 IR, 30 fps, 10 s, the default model. Job: upload to `POST /v1/jobs` until a "
        "poll finds it succeeded, on `yolofuse serve` (API and worker in one process, SQLite). CLI: "
        "`yolofuse detect --rgb-video --ir-video --json` on the same files. Better of "
        f"{a.rounds} interleaved runs each.",
        "",
        "| model input | pairs | job s | job pairs/s | CLI s | CLI pairs/s | ratio job/CLI |",
        "|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for size, cli, job in rows:
        lines.append(f"| {size} | {job['pairs']} | {job['seconds']:.2f} | {job['rate']:.1f} | {cli['seconds']:.2f} | "
                     f"{cli['rate']:.1f} | **{job['rate'] / cli['rate']:.2f}** |")
    publish("\n".join(lines), not a.no_write, START, END)


if __name__ == "__main__":
    main()
