"""Saved plans and targets: what was reviewed is what is applied.

`plan --out FILE` records, per change, what would be written (the stamp of the desired form), what
Grafana held when it was read (a hash of its comparable form and its version) and the permission lists,
plus a hash of the definitions. `apply FILE` plans again and refuses, naming each difference, when the
definitions or Grafana changed since; otherwise it applies exactly that plan. The file holds no secrets:
desired forms are masked before they are hashed, and nothing of Grafana's is kept but hashes.

`--target KIND/UID` limits plan, apply (and so --force) to named resources, plus the folder a targeted
dashboard lives in (it cannot exist without it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..errors import DruppieError, UsageError
from ..loading import parse_json, read_text
from ..resources import DASHBOARD, FOLDER, KINDS, Resource
from ..serialize import plain
from .access import AccessPlan
from .handlers import content_hash
from .plan import Change, Plan

FORMAT = "druppie-grafana-plan/1"


class PlanOutdated(DruppieError):
    """The saved plan no longer describes what apply would do."""


# ---------------------------------------------------------------- targets

def parse_target(text: str) -> tuple[str, str]:
    kind, _, uid = text.partition("/")
    names = {k.lower(): k for k in KINDS}
    if kind.lower() not in names or not uid:
        raise UsageError(f"--target {text!r}: write KIND/UID with KIND one of {', '.join(sorted(names))}, "
                         "for example dashboard/druppie-latency")
    return names[kind.lower()], uid


def select(resources: list[Resource], targets: Iterable[tuple[str, str]]) -> list[Resource]:
    """The targeted resources and the folders their dashboards need; every target must exist."""
    targets = set(targets)
    if not targets:
        return resources
    known = {r.key for r in resources}
    missing = sorted(f"{k.lower()}/{u}" for k, u in targets - known)
    if missing:
        raise UsageError(f"--target names nothing defined: {', '.join(missing)} (defined: "
                         + ", ".join(sorted(f"{k.lower()}/{u}" for k, u in known)) + ")")
    folders = {r.folder for r in resources if r.key in targets and r.kind == DASHBOARD and r.folder}
    return [r for r in resources if r.key in targets or (r.kind == FOLDER and r.uid in folders)]


def restrict(plan: Plan, targets: Iterable[tuple[str, str]]) -> Plan:
    """Deletions and kept lists limited to the targets too (a targeted apply prunes only what it names)."""
    targets = set(targets)
    if targets:
        plan.changes = [c for c in plan.changes if c.action != "delete" or (c.kind, c.uid) in targets]
        plan.orphans = [c for c in plan.orphans if (c.kind, c.uid) in targets]
        plan.foreign = [c for c in plan.foreign if (c.kind, c.uid) in targets]
    return plan


def environment_record(data: dict, env_name: str) -> dict:
    """The part of environments.yaml one environment's plan depends on."""
    return {"environment": (data.get("environments") or {}).get(env_name),
            **{k: data.get(k) for k in ("project", "contract", "checks")}}


# ---------------------------------------------------------------- the record

def definitions_hash(resources: list[Resource], env_raw) -> str:
    """What the definitions and the environment say, credentials as their references (never values)."""
    data = {"environment": env_raw, "resources": [{"kind": r.kind, "uid": r.uid, "folder": r.folder,
                                                   "spec": plain(r.spec)} for r in resources]}
    return content_hash(data)


def _change_record(change: Change) -> dict:
    remote = change.remote
    return {"kind": change.kind, "uid": change.uid, "action": change.action,
            "desired": content_hash(change.desired) if change.desired is not None else None,
            "remote": None if remote is None else {"hash": content_hash(remote.comparable),
                                                   "version": None if remote.version is None else str(remote.version)},
            "blocked": change.blocked or None}


def _access_record(access: AccessPlan) -> list[dict]:
    return [{"kind": c.kind, "uid": c.uid, "current": None if c.current is None else sorted(map(str, c.current)),
             "desired": sorted(map(str, c.desired)), "blocked": c.blocked or None} for c in access.changes]


@dataclass
class SavedPlan:
    data: dict

    @classmethod
    def make(cls, plan: Plan, access: AccessPlan, definitions: str, targets: list[tuple[str, str]]) -> "SavedPlan":
        return cls({"format": FORMAT, "environment": plan.env, "owner": plan.owner, "grafana": plan.url,
                    "server": None if plan.server is None else {"version": plan.server.version,
                                                                 "apis": dict(plan.server.apis)},
                    "prune": plan.prune, "targets": [f"{k.lower()}/{u}" for k, u in targets],
                    "definitions": definitions,
                    "changes": [_change_record(c) for c in plan.changes],
                    "access": _access_record(access)})

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(self.data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> "SavedPlan":
        data = parse_json(read_text(path), str(path))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise UsageError(f"{path} is not a plan saved by `plan --out` ({FORMAT})")
        return cls(data)

    @property
    def targets(self) -> list[tuple[str, str]]:
        return [parse_target(t) for t in self.data.get("targets") or []]

    def differences(self, plan: Plan, access: AccessPlan, definitions: str) -> list[str]:
        """Everything that makes `plan` (made just now) differ from the saved one; [] when it is the same."""
        out = []
        if definitions != self.data["definitions"]:
            out.append("the definitions or environments.yaml changed since the plan was saved")
        if plan.owner != self.data["owner"] or plan.url != self.data["grafana"]:
            out.append(f"the plan was saved for {self.data['owner']} at {self.data['grafana']}, "
                       f"not {plan.owner} at {plan.url}")
        saved = {(c["kind"], c["uid"]): c for c in self.data["changes"]}
        fresh = {(c.kind, c.uid): _change_record(c) for c in plan.changes}
        for key in sorted(set(saved) | set(fresh)):
            was, now = saved.get(key), fresh.get(key)
            label = f"{key[0].lower()} {key[1]}"
            if was is None or now is None:
                out.append(f"{label}: {'new in' if was is None else 'gone from'} the plan")
            elif was["action"] != now["action"]:
                out.append(f"{label}: was to {was['action']}, now to {now['action']}")
            elif was["remote"] != now["remote"]:
                out.append(f"{label}: changed in Grafana since the plan was saved")
            elif was != now:
                out.append(f"{label}: its planned change differs")
        saved_access = {(a["kind"], a["uid"]): a for a in self.data.get("access") or []}
        for record in _access_record(access):
            if saved_access.get((record["kind"], record["uid"])) != record:
                out.append(f"permissions of {record['kind'].lower()} {record['uid']} changed since the plan was saved")
        return out

    def check(self, plan: Plan, access: AccessPlan, definitions: str) -> None:
        differences = self.differences(plan, access, definitions)
        if differences:
            raise PlanOutdated("the saved plan is out of date; nothing was applied. Run plan again and review:\n"
                               + "\n".join(f"  - {d}" for d in differences))
