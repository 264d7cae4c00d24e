"""One exception hierarchy for users to catch, and the Problem record every message is made of."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is, what is wrong, and what to do."""

    file: str
    path: str  # JSON path ("$.environments.dev.grafana.url") or a resource name
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        text = f"{where}: {self.message}"
        return f"{text}\n    hint: {self.hint}" if self.hint else text


class DruppieError(Exception):
    """Base of every error this tool raises on purpose. Its message is meant for the user."""

    exit_code = 1


class UsageError(DruppieError):
    exit_code = 2


class InputError(DruppieError):
    """Bad definitions or configuration; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the input; nothing was written"
        super().__init__(head + "\n" + "\n".join(f"- {p}" for p in self.problems))


def json_path(parts) -> str:
    """Render a path of keys and indexes as $.a.b[0]."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.replace("_", "").replace("-", "").isalnum():
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out
