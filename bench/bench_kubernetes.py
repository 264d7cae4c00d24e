"""Kubernetes output figures: time to render N dashboards into ConfigMaps, and how close the largest
real dashboard comes to kubectl's last-applied annotation limit. Run: python bench/bench_kubernetes.py"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from druppie_grafana.build import Project, build_resources  # noqa: E402
from druppie_grafana.outputs.kubernetes import ANNOTATION_LIMIT, kubernetes_files, kubernetes_objects, last_applied_size  # noqa: E402
from druppie_grafana.resources import DASHBOARD, Resource  # noqa: E402


def main() -> None:
    project = Project(ROOT)
    env = project.environment("dev")
    resources = build_resources(project, env)
    for obj in kubernetes_objects(resources, env):
        size = last_applied_size(obj)
        print(f"{obj['kind']:9} {obj['metadata']['name']:45} {size:>8,} bytes  {100 * size / ANNOTATION_LIMIT:5.1f}% of limit")
    dashboards = [r for r in resources if r.kind == DASHBOARD]
    if not dashboards:
        return
    largest = max(dashboards, key=lambda r: len(str(r.spec)))
    for count in (10, 100, 500):
        many = [Resource(DASHBOARD, f"{largest.uid[:30]}-{i}", copy.deepcopy(largest.spec), folder=largest.folder)
                for i in range(count)]
        start = time.perf_counter()
        files = kubernetes_files(many, env)
        elapsed = time.perf_counter() - start
        print(f"{count:4} copies of {largest.uid}: {elapsed * 1000:8.1f} ms, {sum(map(len, files.values())) / 1e6:6.2f} MB of YAML")


if __name__ == "__main__":
    main()
