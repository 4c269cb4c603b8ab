#!/usr/bin/env python3
"""Latency of single /v1/detect requests sent one at a time, with a pause between them.

  python3 bench/run_latency_probe.py --gap 0.05     # requests 50 ms apart
  python3 bench/run_latency_probe.py --gap 0        # back to back

Starts `yolofuse serve` as bench/run_api_bench.py does (SQLite in a temporary folder, the bundled default model at
--size, --batch as the batcher's largest batch), sends the fixture pair --requests times and prints the medians
(after the first five) of the client's wall time, the server's X-Processing-Time-Ms and the result's stage timings.
Prints only; BENCHMARKS.md quotes it by hand.
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_api_bench import ROOT, Server, multipart  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--yolofuse", default=str(ROOT / ".build" / "release" / "yolofuse"))
    ap.add_argument("--size", type=int, default=640)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--gap", type=float, default=0.05, help="seconds between requests")
    ap.add_argument("--requests", type=int, default=40)
    a = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="yolofuse-latency-"))
    rgb = (ROOT / "Tests/Fixtures/pairs/scene_rgb.jpg").read_bytes()
    ir = (ROOT / "Tests/Fixtures/pairs/scene_ir.jpg").read_bytes()
    body, content_type = multipart([("rgb", "image/jpeg", rgb), ("ir", "image/jpeg", ir)])
    server = Server(a.yolofuse, folder, 18470, a.size, a.batch)
    try:
        key = server.tenant("probe")
        rows = []
        for _ in range(a.requests):
            request = urllib.request.Request(f"http://127.0.0.1:{server.port}/v1/detect", data=body, method="POST",
                                             headers={"Content-Type": content_type, "Authorization": f"Bearer {key}"})
            started = time.perf_counter()
            with urllib.request.urlopen(request) as response:
                result = json.loads(response.read())
                processing = float(response.headers["X-Processing-Time-Ms"])
            rows.append({"client_ms": 1000 * (time.perf_counter() - started), "server_ms": processing, **result["timings"]})
            time.sleep(a.gap)
    finally:
        server.stop()
    rows = rows[5:]
    medians = {k: round(statistics.median(r[k] for r in rows), 2) for k in rows[0]}
    print(json.dumps({"gap_s": a.gap, "requests": len(rows), **medians}))


if __name__ == "__main__":
    main()
