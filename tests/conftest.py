"""Shared fixtures: the project checkout, a scratch copy of it, and the read-only corpus when present."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent (only the team's checkouts have it)")
    return CORPUS


@pytest.fixture
def scratch_project(tmp_path: Path) -> Path:
    """A copy of environments.yaml and datasources/ with an empty dashboards/, to change freely."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(ROOT / "environments.yaml", root / "environments.yaml")
    shutil.copytree(ROOT / "datasources", root / "datasources",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "dashboards").mkdir()
    return root
