"""How tests/corpus was collected (kept for reproducibility; not run by the tests).

    python tests/corpus/collect.py MIRRORS_DIR

MIRRORS_DIR holds bare snapshots of the public repositories below (`owner+name/repo`). Each file is
written byte-for-byte as the blob at the snapshot's HEAD commit, except kube-prometheus, whose
dashboards live inside one ConfigMap list: each ConfigMap's JSON is written as its own file.
MANIFEST.md is regenerated from what was written.
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
MAX_BYTES = 400_000

# (repository, license, [path prefixes or exact paths], per-folder cap, target folder)
SOURCES = [
    ("grafana/jsonnet-libs", "Apache-2.0", ["*/dashboards/", "*/dashboards_out/"], 2, "jsonnet-libs"),
    ("dotdc/grafana-dashboards-kubernetes", "Apache-2.0", ["dashboards/"], 99, "dotdc"),
    ("rfmoz/grafana-dashboards", "Apache-2.0", ["prometheus/"], 99, "rfmoz"),
    ("grafana/loki", "Apache-2.0 (production/, tools/ per LICENSING.md)",
     ["production/helm/loki/src/dashboards/"], 99, "loki-helm"),
    ("grafana/tempo", "Apache-2.0 (operations/ per LICENSING.md)", ["operations/tempo-mixin/dashboards/"], 99,
     "tempo-mixin-src"),
    ("open-telemetry/opentelemetry-demo", "Apache-2.0", ["src/grafana/provisioning/dashboards/demo/"], 99,
     "otel-demo"),
    ("prometheus-operator/kube-prometheus", "Apache-2.0", ["examples/example-grafana-dashboard.json"], 99,
     "kube-prometheus"),
]
PROVISIONING = [
    ("grafana/loki", "Apache-2.0 (production/, tools/ per LICENSING.md)",
     ["production/docker/config/datasources.yaml", "tools/dev/kafka/provisioning/datasources/default.yml",
      "tools/dev/loki-tsdb-storage-s3/config/datasource.yaml"], "loki"),
    ("grafana/tempo", "AGPL-3.0-only (Grafana Labs example, repo default)",
     ["example/docker-compose/debug/grafana-datasources.yaml",
      "example/docker-compose/distributed/grafana-datasources.yaml",
      "example/docker-compose/migrate-to-3/grafana-datasources.yaml",
      "example/docker-compose/multitenant/grafana-datasources.yaml",
      "example/docker-compose/single-binary/grafana-datasources.yaml",
      "example/docker-compose/single-binary/grafana-dashboards.yaml"], "tempo-examples"),
    ("open-telemetry/opentelemetry-demo", "Apache-2.0",
     ["src/grafana/provisioning/dashboards/demo.yaml", "src/grafana/provisioning/datasources/default.yaml",
      "src/grafana/provisioning/datasources/jaeger.yaml", "src/grafana/provisioning/datasources/opensearch.yaml"],
     "otel-demo"),
    ("prometheus-operator/kube-prometheus", "Apache-2.0", ["manifests/grafana-dashboardDatasources.yaml"],
     "kube-prometheus"),
]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def matches(path: str, pattern: str) -> bool:
    if pattern.startswith("*/"):
        parts = path.split("/")
        return len(parts) == 3 and parts[1] + "/" == pattern[2:] and path.endswith(".json")
    return path == pattern or (pattern.endswith("/") and path.startswith(pattern) and path.endswith(".json")
                               and "/" not in path[len(pattern):])


def main(mirrors: Path) -> None:
    rows = []
    uids: set = set()  # the same dashboard in two folders (a mixin's sources and its output): kept once
    for repo_name, license_, patterns, cap, folder in SOURCES:
        repo = mirrors / repo_name.replace("/", "+") / "repo"
        commit = git(repo, "rev-parse", "HEAD").strip()
        listing = [line.split(None, 4) for line in git(repo, "ls-tree", "-r", "-l", "HEAD").splitlines()]
        per_folder: collections.Counter = collections.Counter()
        for _, _, _, size, path in listing:
            if not any(matches(path, p) for p in patterns) or int(size) > MAX_BYTES:
                continue
            key = path.split("/")[0]
            if per_folder[key] >= cap:
                continue
            blob = subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{path}"],
                                  capture_output=True, check=True).stdout
            try:
                uid = json.loads(blob).get("uid")
            except (ValueError, AttributeError):
                continue
            if uid and uid in uids:
                continue
            uids.add(uid)
            per_folder[key] += 1
            out = HERE / "dashboards" / folder / path.replace("/", "__")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(blob)
            rows.append((out.relative_to(HERE), repo_name, path, commit, license_))
    repo = mirrors / "prometheus-operator+kube-prometheus" / "repo"
    commit = git(repo, "rev-parse", "HEAD").strip()
    source = "manifests/grafana-dashboardDefinitions.yaml"
    for item in yaml.safe_load(git(repo, "show", f"HEAD:{source}"))["items"]:
        for name, text in item["data"].items():
            out = HERE / "dashboards" / "kube-prometheus" / name
            out.write_text(text + "\n", encoding="utf-8")
            rows.append((out.relative_to(HERE), "prometheus-operator/kube-prometheus",
                         f"{source} (ConfigMap {item['metadata']['name']}, data[{name}])", commit, "Apache-2.0"))
    for repo_name, license_, paths, folder in PROVISIONING:
        repo = mirrors / repo_name.replace("/", "+") / "repo"
        commit = git(repo, "rev-parse", "HEAD").strip()
        for path in paths:
            text = git(repo, "show", f"HEAD:{path}")
            if path.endswith("grafana-dashboardDatasources.yaml"):  # a Secret holding the YAML
                text = yaml.safe_load(text)["stringData"]["datasources.yaml"]
                path += " (stringData[datasources.yaml])"
            out = HERE / "provisioning" / folder / path.split(" ")[0].replace("/", "__")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            rows.append((out.relative_to(HERE), repo_name, path, commit, license_))
    with open(HERE / "collected.tsv", "w", encoding="utf-8") as fh:  # turned into MANIFEST.md
        for row in rows:
            fh.write("\t".join(map(str, row)) + "\n")
    print(f"{len(rows)} files")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
