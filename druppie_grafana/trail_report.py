"""What the build summary and the plan say about the audit trail: how long it is kept, where, and,
loudly, anything that would keep it incomplete by design (sampling in the collector's pipelines)."""

from __future__ import annotations

import json
from typing import Any

from .environments import Environment
from .outputs.helm_values import collector_values

# Collector-contrib processors that drop spans or log records on purpose (processor/
# probabilisticsamplerprocessor, processor/tailsamplingprocessor); a type is the part before "/".
SAMPLING_PROCESSORS = ("probabilistic_sampler", "tail_sampling")


def sampling_in(collector_config: dict[str, Any]) -> list[str]:
    """'pipeline: processor' for every sampling processor a pipeline of the collector runs."""
    found = []
    for name, pipeline in sorted((collector_config.get("service") or {}).get("pipelines", {}).items()):
        for processor in pipeline.get("processors") or []:
            if processor.split("/")[0] in SAMPLING_PROCESSORS:
                found.append(f"{name}: {processor}")
    return found


def trail_lines(env: Environment) -> list[str]:
    lines = [env.audit.summary()] if env.audit else []
    sampled = sampling_in(collector_values(env)["config"])
    if sampled:
        lines.append("WARNING: THE AUDIT TRAIL IS SAMPLED: the collector drops part of the traffic on purpose "
                     f"({', '.join(sampled)}); an auditor will not find every trace")
    return lines


def with_trail(text: str, fmt: str, env: Environment) -> str:
    """The plan's text with the trail lines after its header line (text, markdown) or as `audit_trail`
    (json), so a reviewer sees the retention and storage a change ships with."""
    lines = trail_lines(env)
    if fmt == "json":
        data = json.loads(text)
        data["audit_trail"] = lines
        return json.dumps(data, indent=2, sort_keys=True) + "\n"
    head, _, rest = text.partition("\n")
    if fmt == "markdown":
        return head + "\n\n" + "".join(f"> {line}\n" for line in lines) + rest
    return head + "\n" + "".join(f"  {line}\n" for line in lines) + rest
