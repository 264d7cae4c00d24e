"""Copies of Grafana's JSON taken before apply overwrites or deletes it.

They hold no secrets by construction (Grafana never returns secret values, and scrub() drops every
secret-named field), so they are never masked: a backup must stay restorable byte for byte. Every
path is confined to the run's folder: a uid from Grafana is checked like our own and the resolved path
must stay inside.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import DruppieError
from .handlers import scrub
from ..resources import uid_problem

DIRECTORY = {"Folder": "folders", "Datasource": "datasources", "Dashboard": "dashboards",
             "Folder permissions": "permissions/folders", "Datasource permissions": "permissions/datasources"}


class BackupFailed(DruppieError):
    """A copy could not be written; what it protects must not be changed."""


class Backups:
    """backups/<env>/<UTC timestamp>/<kind>/<uid>.json, created on the first copy of a run."""

    def __init__(self, root: Path, env_name: str):
        self.stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self.root = Path(root)
        self.base = self.root / env_name
        self.folder = self.base / self.stamp
        self.written: list[Path] = []
        self._lock = threading.Lock()
        self._claimed = False

    def _claim(self) -> None:
        """This run's own folder: a second run in the same second gets <stamp>-2, never the first's files."""
        with self._lock:
            if self._claimed:
                return
            for n in range(1, 1000):
                candidate = self.base / (self.stamp if n == 1 else f"{self.stamp}-{n}")
                try:
                    candidate.mkdir(parents=True)
                except FileExistsError:
                    continue
                self.folder, self._claimed = candidate, True
                return
            raise BackupFailed(f"cannot find a free backup folder under {self.base}")

    def check_writable(self) -> None:
        """Fail before apply sends anything if no backup could be written."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.folder):
                pass
        except OSError as exc:
            raise BackupFailed(f"cannot write backups to {self.folder} ({exc.strerror or exc}); nothing was "
                               "applied. Give --backup-dir a writable folder.") from None
        finally:
            self._remove_if_empty()

    def _remove_if_empty(self) -> None:
        try:
            self.folder.rmdir()  # only if nothing was written: an empty run leaves no folder
        except OSError:
            pass

    def path_for(self, kind: str, uid: str) -> Path:
        problem = uid_problem(uid)
        if problem:
            raise BackupFailed(f"refusing to back up {kind.lower()} {uid!r}: {problem}; nothing was changed")
        try:
            self._claim()
        except OSError as exc:
            raise BackupFailed(f"cannot create a backup folder under {self.base} ({exc.strerror or exc})") from None
        folder = (self.folder / DIRECTORY[kind]).resolve()
        path = (folder / f"{uid}.json").resolve()
        if path.parent != folder:
            raise BackupFailed(f"refusing to write a backup outside {folder}: {path}")
        return path

    def save(self, kind: str, uid: str, raw: Any) -> Path:
        path = self.path_for(kind, uid)
        text = json.dumps(scrub(raw), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:
            raise BackupFailed(f"cannot back up {kind.lower()} {uid} to {path} ({exc.strerror or exc}); "
                               "it was not changed") from None
        with self._lock:
            self.written.append(path)
        return path
