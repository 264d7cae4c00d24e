"""The Finding record: one rule's verdict on one place in one file."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str
    file: str
    path: str  # JSON path inside the file ("$.panels[2].targets[0].expr")
    hint: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        text = f"{self.file}: {self.path}: {self.severity} [{self.rule}] {self.message}"
        return f"{text}\n    hint: {self.hint}" if self.hint else text


@dataclass(frozen=True)
class Hit:
    """What a check function reports; the runner adds the rule's configured severity."""

    rule: str
    message: str
    file: str
    path: str
    hint: str | None = None  # None: the rule's default hint
