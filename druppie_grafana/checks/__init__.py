"""Checks: JSON schemas (structure) and lint rules (meaning) over dashboards, datasources and providers.

Each rule family is one module that declares its rules with `define` and its check functions with
`@check`; importing the modules registers them. `run_checks` applies the rule configuration.
"""

from .finding import ERROR, WARNING, Finding
from .inputs import CheckInput
from .registry import RULES
from .runner import run_checks

__all__ = ["ERROR", "WARNING", "Finding", "CheckInput", "RULES", "run_checks"]
