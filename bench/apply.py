"""Benchmark: apply 500 dashboards to the local Grafana-like server with 20 ms of latency per request,
as an 11.x server (legacy /api: one GET per dashboard) and as a 13.x server (/apis: list calls).

Prints, for each personality, wall time with 1 worker vs 8 (aim: >= 5x on 11.x), each against the ideal
(requests x latency / workers), and for the unchanged re-apply: requests (all, and for dashboards),
writes (aim: 0) and wall time (aim on 13: the dashboards read in at most 5 requests).

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

PERSONALITIES = {"11.6.0": 41, "13.0.2": 42}  # version -> the schemaVersion its API takes


def one_run(resources, version: str, latency: float, workers: int, backups: Path) -> dict:
    with FakeGrafana(latency=latency, version=version) as grafana:
        started = time.perf_counter()
        result, _ = kit.apply(grafana, resources, backups, workers=workers)
        wall = time.perf_counter() - started
        requests = len(grafana.log)
        grafana.clear_log()
        started = time.perf_counter()
        again, _ = kit.apply(grafana, resources, backups, workers=workers)
        rewall = time.perf_counter() - started
        log = list(grafana.log)
    assert result.ok and again.ok, [o.line() for o in result.outcomes + again.outcomes if not o.ok][:3]
    return {"wall": wall, "requests": requests, "rewall": rewall, "rerequests": len(log),
            "redashboards": sum(1 for r in log if "dashboards" in r.path),
            "rewrites": sum(1 for r in log if r.method != "GET")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dashboards", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    print(f"apply {args.dashboards} dashboards + 1 folder + 1 datasource, {args.latency * 1000:.0f} ms per request")
    with tempfile.TemporaryDirectory() as tmp:
        for version, schema in PERSONALITIES.items():
            resources = [kit.folder(), kit.loki()] + [kit.dashboard(f"b-{i:04d}", panels=4)
                                                      for i in range(args.dashboards)]
            for res in resources[2:]:
                res.spec["schemaVersion"] = schema
            walls = {}
            for workers in (1, args.workers):
                row = one_run(resources, version, args.latency, workers, Path(tmp))
                ideal = row["requests"] * args.latency / workers
                walls[workers] = row["wall"]
                print(f"  Grafana {version} workers={workers:<2} apply: wall {row['wall']:6.2f} s, requests "
                      f"{row['requests']:4d}, ideal {ideal:6.2f} s, wall/ideal {row['wall'] / ideal:4.2f} | unchanged "
                      f"re-apply: wall {row['rewall']:5.2f} s, requests {row['rerequests']} "
                      f"({row['redashboards']} for dashboards), writes {row['rewrites']}")
            print(f"  Grafana {version}: speed-up with {args.workers} workers: {walls[1] / walls[args.workers]:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
