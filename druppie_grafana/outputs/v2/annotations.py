"""annotations.list -> v2 AnnotationQuery. The pairs show Grafana's built-in annotation only: its
`target` becomes the query spec, `type` moves to legacyOptions, builtIn 1 becomes true."""

from __future__ import annotations

from .queries import data_query
from .refusal import Context

KNOWN = {"builtIn", "datasource", "enable", "hide", "iconColor", "name", "target", "type"}


def annotations(items: list, ctx: Context) -> list[dict]:
    ctx.panel = None
    out = []
    for i, ann in enumerate(items):
        path = ("annotations", "list", i)
        if ann.get("builtIn") != 1:
            ctx.refuse(path, f"annotation {ann.get('name')!r} is not Grafana's built-in one: the pairs show no "
                             "other annotation query")
        unknown = sorted(set(ann) - KNOWN)
        if unknown:
            ctx.refuse(path + (unknown[0],), f"annotation keys the converter does not map: {', '.join(unknown)}")
        spec = {"query": data_query(ann.get("datasource"), ann.get("target") or {}, ctx, path + ("datasource",),
                                    builtin=True),
                "enable": bool(ann.get("enable", True)), "hide": bool(ann.get("hide", False)),
                "iconColor": ann.get("iconColor", ""), "name": ann.get("name", ""), "builtIn": True}
        if "type" in ann:
            spec["legacyOptions"] = {"type": ann["type"]}
        out.append({"kind": "AnnotationQuery", "spec": spec})
    return out
