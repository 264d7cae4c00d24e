"""Zero errors over real dashboards and provisioning files that Grafana loads (../shared/corpus)."""

import collections
import os
from pathlib import Path

import pytest

from druppie_grafana.checks import ERROR, run_checks
from druppie_grafana.checks.inputs import from_paths
from druppie_grafana.contract import DEFAULT_CONTRACT

CORPUS = Path(os.environ.get("DRUPPIE_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus")
DASHBOARDS = sorted((CORPUS / "dashboards").glob("*/*.json"))
PROVISIONING = sorted((CORPUS / "provisioning").glob("*/*.yaml"))

pytestmark = pytest.mark.skipif(not DASHBOARDS, reason=f"corpus not found at {CORPUS}")


def _report(findings):
    counts = collections.Counter((f.rule, f.severity) for f in findings)
    print("\n".join(f"  {rule:28} {sev:8} {n}" for (rule, sev), n in sorted(counts.items())))


def test_corpus_dashboards_have_no_errors():
    findings = run_checks(from_paths(DASHBOARDS, DEFAULT_CONTRACT))
    _report(findings)
    errors = [str(f) for f in findings if f.severity == ERROR]
    assert not errors, "\n".join(errors[:20])
    # The checks really looked: every dashboard was read, and the known real issues are reported.
    rules = {f.rule for f in findings}
    assert {"import-placeholder", "panel-id-duplicate", "gridpos-overlap"} <= rules


@pytest.mark.parametrize("path", PROVISIONING, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_provisioning_file_has_no_errors(path):
    # Each file is one stack's complete set (tempo-example's two files are alternatives).
    findings = run_checks(from_paths([path], DEFAULT_CONTRACT))
    _report(findings)
    assert not [str(f) for f in findings if f.severity == ERROR]


def test_corpus_dashboards_with_their_stacks_datasources_resolve():
    # intro-to-mltp's dashboards against its own datasources: concrete uids are checked, all resolve.
    stack = CORPUS / "dashboards" / "intro-to-mltp"
    findings = run_checks(from_paths([stack, CORPUS / "provisioning" / "intro-to-mltp"], DEFAULT_CONTRACT))
    assert not [str(f) for f in findings if f.severity == ERROR]
    assert any(f.rule == "correlation-by-name" for f in findings)  # serviceMap names 'Mimir'
