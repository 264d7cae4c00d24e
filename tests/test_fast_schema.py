"""The compiled schema test answers exactly what jsonschema answers, on real files and on damaged copies."""

import copy
import json
import os
import random
from pathlib import Path

import pytest

from druppie_grafana.checks.fast_schema import predicate, proves_valid
from druppie_grafana.loading import load_document
from druppie_grafana.schema import _validator

CORPUS = Path(os.environ.get("DRUPPIE_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus")
SCHEMAS = ["dashboard", "datasources", "dashboard-providers", "environments"]
ODD_VALUES = [None, True, False, 0, 1, 1.0, 2.5, -3, "", " ", "x", "$bad name", "a-b", [], [1], {}, {"x": 1},
              {"uid": 3}, {"folder": "f", "folderUid": "u", "options": {"foldersFromFilesStructure": True}}]


def _nodes(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, path + (index,))


def _replace(value, path, new):
    if not path:
        return new
    out = copy.deepcopy(value)
    node = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = new
    return out


def _samples():
    files = sorted((CORPUS / "dashboards").glob("*/*.json")) + sorted((CORPUS / "provisioning").glob("*/*.yaml"))
    files += sorted(Path(__file__).resolve().parents[1].glob("environments*.yaml"))
    return [load_document(f) for f in files]


def test_every_shipped_schema_compiles():
    assert all(predicate(name) is not None for name in SCHEMAS)


@pytest.mark.parametrize("name", SCHEMAS)
def test_same_answer_as_jsonschema_on_damaged_copies(name):
    if not (CORPUS / "dashboards").is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")  # environments.yaml alone gives too few samples
    samples = _samples()
    rng = random.Random(4)
    validator = _validator(name)
    compared = invalid = 0
    for doc in samples:
        paths = list(_nodes(doc))
        for path in [()] + rng.sample(paths, min(15, len(paths))):
            for new in rng.sample(ODD_VALUES, 4):
                instance = _replace(doc, path, new)
                expected = validator.is_valid(instance)
                assert proves_valid(instance, name) == expected, (name, path, json.dumps(new))
                compared += 1
                invalid += not expected
    assert compared > 200 and invalid > 20  # the damage really produced invalid instances
