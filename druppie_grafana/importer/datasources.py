"""Datasource references -> our datasource roles.

A reference of type tempo, loki or prometheus names a role (ctx.datasource_uid(role)) when it is a
concrete datasource (a uid, or an `${DS_X}` input placeholder) and the dashboard uses one such
datasource of that type (or, with several, the one `import --role UID=ROLE` chose); a `$variable` stays a variable; anything else is kept as it was and
flagged: we do not provision it.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ..errors import UsageError
from ..grafana_ext.targets import LOKI, PROMETHEUS, TEMPO

ROLES = (TEMPO, LOKI, PROMETHEUS)
_PLACEHOLDER = re.compile(r"^\$\{?([A-Za-z_]\w*)\}?$")


def refs(value: Any) -> Iterator[dict]:
    """Every datasource reference dict in value."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "datasource" and isinstance(item, dict):
                yield item
            else:
                yield from refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs(item)


class RoleMap:
    """Which references of one dashboard are our roles."""

    def __init__(self, dashboard: dict, inputs: list[dict], chosen: dict[str, str] | None = None):
        """chosen: datasource uid -> role, for a dashboard that uses several datasources of one type."""
        self.inputs = {i.get("name") for i in inputs if i.get("type") == "datasource"}
        uids: dict[str, set] = {}
        for ref in refs(dashboard):
            if ref.get("type") in ROLES and self._concrete(ref):
                uids.setdefault(ref["type"], set()).add(str(ref.get("uid")))
        self.roles = {kind: next(iter(found)) for kind, found in uids.items() if len(found) == 1}
        for uid, role in (chosen or {}).items():
            kinds = sorted(kind for kind, found in uids.items() if uid in found)
            if kinds and role not in kinds:
                raise UsageError(f"--role {uid}={role}: {uid!r} is a {kinds[0]} datasource in this dashboard, "
                                 f"not {role}")
            if kinds:  # a choice for a datasource this dashboard does not use is another file's
                self.roles[role] = uid
        # types with several datasources and none chosen: every one of them is kept as saved
        self.ambiguous = {kind: sorted(found) for kind, found in uids.items()
                          if len(found) > 1 and kind not in self.roles}

    def _concrete(self, ref: dict) -> bool:
        uid = ref.get("uid")
        if not isinstance(uid, str) or not uid:
            return False
        match = _PLACEHOLDER.match(uid)
        return match is None or match.group(1) in self.inputs

    def role(self, ref: Any) -> str | None:
        """The role a reference stands for, or None."""
        if not isinstance(ref, dict) or set(ref) - {"type", "uid"}:
            return None
        kind = ref.get("type")
        return kind if kind in self.roles and self._concrete(ref) and str(ref.get("uid")) == self.roles[kind] else None

    def is_variable(self, ref: Any) -> bool:
        return (isinstance(ref, dict) and isinstance(ref.get("uid"), str) and ref["uid"].startswith("$")
                and not self._concrete(ref))

    def is_builtin(self, ref: Any) -> bool:
        return isinstance(ref, dict) and ref.get("type") in ("datasource", "grafana")

    def placeholders(self) -> dict[str, str]:
        """`${DS_X}` -> role, for each export input that stands for one of our roles. Grafana's import puts
        the chosen datasource's uid in place of `${DS_X}` in every string of the dashboard, not only in
        references (pkg/services/dashboardimport/utils/dash_template_evaluator.go), so a link URL or a
        query may hold one too."""
        return {uid: kind for kind, uid in self.roles.items()
                if (m := _PLACEHOLDER.match(uid)) and uid.startswith("${") and m.group(1) in self.inputs}

    def in_text(self, text: str, uid_of) -> str:
        """text with each role placeholder `${DS_X}` replaced by uid_of(role)."""
        for placeholder, role in self.placeholders().items():
            text = text.replace(placeholder, uid_of(role))
        return text

    def with_role_uids(self, value: Any, uid_of) -> Any:
        """value with each role reference's uid replaced by uid_of(role) (what a build writes)."""
        if isinstance(value, str):
            return self.in_text(value, uid_of)
        if isinstance(value, dict):
            return {k: ({"type": v["type"], "uid": uid_of(self.role(v))} if k == "datasource" and self.role(v)
                        else self.with_role_uids(v, uid_of)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.with_role_uids(v, uid_of) for v in value]
        return value
