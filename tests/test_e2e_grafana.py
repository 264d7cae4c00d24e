"""End to end against a real Grafana; runs only when GRAFANA_URL and GRAFANA_TOKEN are set (README says how
to start one with Docker). Works in its own folder with uids of its own, and removes them at the end."""

from __future__ import annotations

import os
import uuid

import pytest

import grafana_kit as kit
from druppie_grafana.environments import schema_version_for
from druppie_grafana.grafana.client import ClientSettings, GrafanaClient, NotFound
from druppie_grafana.grafana.discovery import discover

pytestmark = [
    pytest.mark.grafana,
    pytest.mark.skipif(not (os.environ.get("GRAFANA_URL") and os.environ.get("GRAFANA_TOKEN")),
                       reason="set GRAFANA_URL and GRAFANA_TOKEN to run against a real Grafana"),
]


@pytest.fixture
def real():
    client = GrafanaClient(ClientSettings(url=os.environ["GRAFANA_URL"].rstrip("/"), token=os.environ["GRAFANA_TOKEN"],
                                          org_id=int(os.environ.get("GRAFANA_ORG_ID", "1"))))
    tag = uuid.uuid4().hex[:8]
    names = {"folder": f"e2e-{tag}", "ds": f"e2e-loki-{tag}", "dash": [f"e2e-{tag}-{i}" for i in range(2)]}
    yield client, names
    for uid in names["dash"]:
        _quietly(client.delete, f"/dashboards/uid/{uid}")
    _quietly(client.delete, f"/datasources/uid/{names['ds']}")
    _quietly(client.delete, f"/folders/{names['folder']}")


def _quietly(call, *args):
    try:
        call(*args)
    except NotFound:
        pass


def test_apply_is_idempotent_and_drift_aware_on_real_grafana(real, tmp_path):
    client, names = real
    grafana = type("Real", (), {"url": client.settings.url})()
    server = discover(client)  # whatever version GRAFANA_URL is: /apis on 12.2+/13, legacy on 11.x
    resources = ([kit.folder(names["folder"]), kit.loki(names["ds"], name=f"Loki {names['ds']}")]
                 + [kit.dashboard(uid, folder_uid=names["folder"]) for uid in names["dash"]])
    for res in resources[2:]:
        res.spec["schemaVersion"] = schema_version_for(server.version) if server.version else 41

    first, _ = kit.apply(grafana, resources, tmp_path, cli=client)
    assert first.ok and first.count("created") == 4, first.outcomes

    writes = client.counts["write"]
    again, lines = kit.apply(grafana, resources, tmp_path, cli=client)
    assert again.count("unchanged") == 4, "\n".join(lines)  # normalisation matches what Grafana returns
    assert client.counts["write"] == writes

    client.post("/dashboards/db", {"dashboard": {**client.get(f"/dashboards/uid/{names['dash'][0]}")["dashboard"],
                                                 "title": "edited by hand"}, "folderUid": names["folder"]})
    refused, _ = kit.apply(grafana, resources, tmp_path, cli=client)
    assert refused.count("refused") == 1
    forced, _ = kit.apply(grafana, resources, tmp_path, cli=client, force=True)
    assert forced.ok and forced.count("updated") == 1

    pruned, _ = kit.apply(grafana, resources[:3], tmp_path, cli=client, prune=True)
    assert pruned.ok and pruned.count("deleted") == 1
