"""The example CI pipelines parse, call verbs that exist, and treat plan's exit code 3 as success."""

from __future__ import annotations

from pathlib import Path

import yaml

from druppie_grafana.cli import VERBS
from druppie_grafana.grafana.plan import EXIT_PENDING

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "ci"


def test_pipelines_plan_on_review_and_apply_on_main():
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        yaml.safe_load(text)
        for verb in ("validate", "plan", "apply"):
            assert verb in VERBS and f"provision.py {verb} --env prod" in text, (name, verb)
        assert "--format markdown" in text and f"-eq {EXIT_PENDING}" in text
        assert "GRAFANA_TOKEN" in text and "glsa_" not in text  # from the secret store, never inline
