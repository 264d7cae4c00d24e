"""What is wrong with a dashboard as it was saved, before anything is imported: parts Grafana itself
shows wrongly (a `$name` no variable defines, two queries of a panel with one refId), and datasource
references whose plugin type cannot be known. The import reports these instead of writing a module
the build would refuse."""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterator

from ..grafana_ext.dashboard import LEGACY_PANEL_KEYS
from ..grafana_ext.variables import undefined_references


def _panels(dashboard: dict) -> Iterator[tuple[dict, str]]:
    for i, panel in enumerate(dashboard.get("panels") or []):
        if isinstance(panel, dict):
            yield panel, f"$.panels[{i}]"
            for j, inner in enumerate(panel.get("panels") or []):
                if isinstance(inner, dict):
                    yield inner, f"$.panels[{i}].panels[{j}]"


def _name(panel: dict, path: str) -> str:
    return f"{path} ({panel.get('type')} {panel.get('title', '')!r})"


def _without_legacy_keys(dashboard: dict) -> dict:
    """The dashboard without the legacy panel keys the build drops (their text is not checked there)."""
    def clean(panel: Any) -> Any:
        if not isinstance(panel, dict):
            return panel
        out = {k: v for k, v in panel.items() if k not in LEGACY_PANEL_KEYS}
        if isinstance(out.get("panels"), list):
            out["panels"] = [clean(p) for p in out["panels"]]
        return out
    return {**dashboard, "panels": [clean(p) for p in dashboard.get("panels") or []]}


def broken_as_saved(dashboard: dict, inputs: list[dict] | None = None) -> list[str]:
    """What a dashboard (as Grafana loads it: importer.grafana.as_loaded) gets wrong in Grafana itself.
    `${NAME}` of an export's `__inputs` entry is no variable: Grafana's import fills it in."""
    problems = []
    undefined: dict[str, list[str]] = {}
    placeholders = {i.get("name") for i in inputs or [] if isinstance(i, dict)}
    for where, name in undefined_references(_without_legacy_keys(dashboard)):
        if name not in placeholders:
            undefined.setdefault(name, []).append(where)
    for name, places in undefined.items():
        more = f" and {len(places) - 1} more place(s)" if len(places) > 1 else ""
        problems.append(f"${name} is used at {places[0]}{more}, but no variable of the dashboard is named "
                        f"{name!r} (Grafana leaves the text as it is): define the variable or fix the name")
    for panel, path in _panels(dashboard):
        targets = panel.get("targets") if isinstance(panel.get("targets"), list) else []
        counts = Counter(t.get("refId") for t in targets if isinstance(t, dict))
        twice = sorted(str(r) for r, n in counts.items() if n > 1)
        if twice:
            problems.append(f"{_name(panel, path)}: refId {', '.join(twice)} is used by more than one query "
                            "(a panel keeps one result per refId): give each query its own refId")
    return problems


def untyped_datasources(dashboard: dict) -> list[str]:
    """Panel and query datasource references without a plugin type that loading did not resolve (a
    datasource named by its name or uid, e.g. {"uid": "Prometheus"}): Grafana looks the name up in
    the instance it runs in (DatasourceSrv.getInstanceSettings), so which plugin it is cannot be known
    here. A `$name` of no variable is reported by broken_as_saved instead."""
    problems = []
    defined = {v.get("name") for v in (dashboard.get("templating") or {}).get("list") or [] if isinstance(v, dict)}
    for panel, path in _panels(dashboard):
        refs = [(f"{path}.datasource", panel.get("datasource"))]
        targets = panel.get("targets") if isinstance(panel.get("targets"), list) else []
        refs += [(f"{path}.targets[{i}].datasource", t.get("datasource")) for i, t in enumerate(targets)
                 if isinstance(t, dict)]
        for where, ref in refs:
            if ref is None or isinstance(ref, dict) and ref.get("type") and ref.get("uid"):
                continue
            uid = ref.get("uid") if isinstance(ref, dict) else ref
            if isinstance(uid, str) and uid.startswith("$") and uid.strip("${}").split(":")[0] not in defined:
                continue
            problems.append(f"{where} {ref!r} is no {{type, uid}} reference, so the datasource's plugin type "
                            "cannot be known (Grafana looks a bare name or uid up in the instance it runs in): "
                            "write it as {\"type\": \"<plugin>\", \"uid\": \"<uid>\"}")
    return problems
