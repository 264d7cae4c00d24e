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


# ---- tests/corpus: real files collected for issue 15 that the checks were never tuned to (MANIFEST.md) ----
WIDER = Path(__file__).resolve().parent / "corpus"
WIDER_DASHBOARDS = sorted((WIDER / "dashboards").glob("*/*.json"))
# A folder that is one stack's set of files (datasources referring to each other) is checked together;
# the others hold alternatives (Grafana's test data, one file per case) and are checked file by file.
STACKS = ("otel-demo", "otel-helm-charts")
WIDER_PROVISIONING = sorted(p for p in (WIDER / "provisioning").glob("*/*") if p.parent.name not in STACKS)


def _no_errors(findings):
    errors = [str(f) for f in findings if f.severity == ERROR]
    assert not errors, "\n".join(errors[:20])


def test_wider_corpus_dashboards_have_no_errors():
    assert len(WIDER_DASHBOARDS) >= 150
    checked = from_paths(WIDER_DASHBOARDS, DEFAULT_CONTRACT)
    findings = run_checks(checked)
    _report(findings)
    _no_errors(findings)
    assert checked.kinds["dashboard"] == len(WIDER_DASHBOARDS) and not checked.skipped
    # Every query is checked or counted: the not-checked notes say why, file by file.
    assert all("not checked:" in f.message for f in findings if f.rule == "not-checked")


@pytest.mark.parametrize("path", WIDER_PROVISIONING + [WIDER / "provisioning" / s for s in STACKS],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_wider_corpus_provisioning_has_no_errors(path):
    checked = from_paths([path], DEFAULT_CONTRACT)
    assert not checked.skipped, checked.skipped
    _no_errors(run_checks(checked))


def test_wider_corpus_size_and_manifest():
    files = WIDER_DASHBOARDS + sorted((WIDER / "provisioning").glob("*/*"))
    assert len(list((WIDER / "provisioning").glob("*/*"))) >= 30
    assert sum(p.stat().st_size for p in files) < 20 * 2**20
    manifest = (WIDER / "MANIFEST.md").read_text(encoding="utf-8")
    missing = [str(p.relative_to(WIDER)) for p in files if str(p.relative_to(WIDER)) not in manifest]
    assert not missing, missing[:5]
