"""Copies of Grafana's JSON taken before apply overwrites or deletes it, without secrets."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Callable

from .handlers import scrub

DIRECTORY = {"Folder": "folders", "Datasource": "datasources", "Dashboard": "dashboards"}


class Backups:
    """backups/<env>/<UTC timestamp>/<kind>/<uid>.json, created on the first copy of a run."""

    def __init__(self, root: Path, env_name: str, redact: Callable[[str], str] = lambda s: s):
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self.folder = root / env_name / stamp
        self.redact = redact
        self.written: list[Path] = []
        self._lock = threading.Lock()

    def save(self, kind: str, uid: str, raw: Any) -> Path:
        path = self.folder / DIRECTORY[kind] / f"{uid}.json"
        text = self.redact(json.dumps(scrub(raw), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        with self._lock:
            self.written.append(path)
        return path
