"""Loading the Python definitions in datasources/ and dashboards/ and calling them."""

from __future__ import annotations

import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Mapping

from .contract import Contract
from .environments import Endpoint, Environment
from .errors import Problem


@dataclass(frozen=True)
class BuildContext:
    """What a definition may read: the environment, the contract, and the uids of its peers."""

    env: Environment
    datasource_uids: Mapping[str, str]  # role ("tempo", "loki", "prometheus") -> uid
    dashboard_uids: Mapping[str, str]  # definition name ("trace_audit") -> uid

    @property
    def contract(self) -> Contract:
        return self.env.contract

    def datasource_uid(self, role: str) -> str:
        try:
            return self.datasource_uids[role]
        except KeyError:
            raise KeyError(f"no datasource with ROLE = {role!r} is defined in datasources/ "
                           f"(defined: {', '.join(sorted(self.datasource_uids)) or 'none'})") from None

    def dashboard_uid(self, name: str) -> str:
        try:
            return self.dashboard_uids[name]
        except KeyError:
            raise KeyError(f"no dashboard definition dashboards/{name}.py "
                           f"(defined: {', '.join(sorted(self.dashboard_uids)) or 'none'})") from None

    def endpoint(self, role: str) -> Endpoint:
        return self.env.endpoint(role)


@dataclass
class Definition:
    """One loaded definition module."""

    path: Path
    module: ModuleType

    @property
    def name(self) -> str:
        return self.path.stem

    def attr(self, name: str, default: Any = None) -> Any:
        return getattr(self.module, name, default)


def definition_files(folder: Path) -> list[Path]:
    """The definition modules of a folder, in a stable order; files starting with _ are helpers."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


def traceback_problem(path: Path, exc: BaseException, what: str) -> Problem:
    """A Problem naming the deepest line of `path` in the traceback of exc."""
    if isinstance(exc, SyntaxError) and exc.filename:  # the error is in the file, not in a frame of it
        where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
        if Path(exc.filename).resolve() != path.resolve():
            where = f"{exc.filename}:{exc.lineno}"
        return Problem(str(path), where, f"{what}: {type(exc).__name__}: {exc.msg}",
                       "fix the syntax at that position")
    frames = traceback.extract_tb(exc.__traceback__)
    here = [f for f in frames if Path(f.filename).resolve() == path.resolve()]
    frame = here[-1] if here else (frames[-1] if frames else None)
    where = f"line {frame.lineno}" if frame else ""
    if frame and not here:
        where = f"{frame.filename}:{frame.lineno}"
    if isinstance(exc, SystemExit):
        message = f"{what} called sys.exit({exc.code!r}); a definition must return or raise, not end the program"
    else:
        message = f"{what} raised {type(exc).__name__}: {exc}"
    return Problem(str(path), where, message, "fix the definition; the traceback line is named on the left")


def _forget_helpers_of_other_folders(folder: str) -> None:
    """Drop cached helper modules (`_common`, ...) that another definitions folder or an earlier
    version of this one imported, so `from _common import x` always reads the file beside it."""
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None) or ""
        if name.startswith("_") and file and Path(file).parent.name in ("dashboards", "datasources"):
            del sys.modules[name]


def load_definitions(folder: Path, problems: list[Problem]) -> list[Definition]:
    """Import each definition module; a module that fails to import becomes a Problem."""
    loaded = []
    # Definitions may import helpers that sit beside them (files starting with _).
    folder_str = str(folder.resolve())
    _forget_helpers_of_other_folders(folder_str)
    added = folder_str not in sys.path
    if added:
        sys.path.insert(0, folder_str)
    try:
        for path in definition_files(folder):
            name = f"_druppie_def_{folder.name}_{path.stem}"
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(module)
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - user code: any failure is a reported problem
                problems.append(traceback_problem(path, exc, "importing the definition"))
                continue
            loaded.append(Definition(path, module))
    finally:
        if added:
            sys.path.remove(folder_str)
    return loaded
