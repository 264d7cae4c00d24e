"""Benchmark: apply 500 dashboards to the local Grafana-like server with 20 ms of latency per request.

Prints wall time sequential vs 8 workers (aim: >= 5x), write requests on an unchanged re-apply (aim: 0),
and each wall time against the ideal (requests x latency / workers).

    python bench/apply.py [--dashboards 500] [--latency 0.02] [--workers 8]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import grafana_kit as kit  # noqa: E402
from fake_grafana import FakeGrafana  # noqa: E402


def one_run(resources, latency: float, workers: int, backups: Path) -> tuple[float, int, int, object]:
    with FakeGrafana(latency=latency) as grafana:
        started = time.perf_counter()
        result, _ = kit.apply(grafana, resources, backups, workers=workers)
        wall = time.perf_counter() - started
        requests = len(grafana.log)
        grafana.clear_log()
        again, _ = kit.apply(grafana, resources, backups, workers=workers)
        rewrites = len(grafana.writes())
    assert result.ok and again.ok
    return wall, requests, rewrites, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dashboards", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    resources = [kit.folder(), kit.loki()] + [kit.dashboard(f"b-{i:04d}", panels=4) for i in range(args.dashboards)]
    print(f"apply {args.dashboards} dashboards + 1 folder + 1 datasource, {args.latency * 1000:.0f} ms per request")
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, args.workers):
            wall, requests, rewrites, _ = one_run(resources, args.latency, workers, Path(tmp))
            ideal = requests * args.latency / workers
            rows[workers] = wall
            print(f"  workers={workers:<2}  wall {wall:6.2f} s  requests {requests:4d}  ideal {ideal:6.2f} s  "
                  f"wall/ideal {wall / ideal:4.2f}  writes on unchanged re-apply: {rewrites}")
    print(f"  speed-up with {args.workers} workers: {rows[1] / rows[args.workers]:.1f}x (aim >= 5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
