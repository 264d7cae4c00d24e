"""Reading YAML and JSON input strictly: duplicate keys and syntax errors become Problems.

Bounded, so a hostile or broken file is a message and not a hang: YAML aliases may not expand to more
than MAX_NODES nodes (a 400-byte "billion laughs" would otherwise fill the memory of whatever walks
it), no document may nest deeper than MAX_DEPTH, and JSON's NaN/Infinity (not JSON) are refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, Problem


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (plain YAML silently keeps the last one)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"found duplicate key {key!r}", key_node.start_mark,
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

MAX_NODES = 2_000_000  # after expanding aliases; the largest real dashboards have tens of thousands
MAX_DEPTH = 100  # Grafana's own documents nest about 15 deep


def _too_big(source: str, what: str) -> InputError:
    return InputError([Problem(source, "", what, "this is not a Grafana or druppie-grafana document; "
                                                 "check where the file came from")])


def _node_size_and_depth(root: yaml.Node, source: str) -> None:
    """Refuse a YAML graph whose expansion (aliases followed) is too large, too deep, or infinite."""
    done: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded nodes, depth)
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in done and not children_done:
            continue
        children = ([n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value) if isinstance(node, yaml.SequenceNode) else [])
        if not children_done:
            if key in active:
                continue
            active.add(key)
            stack.append((node, True))
            for child in children:
                if id(child) in active:
                    raise _too_big(source, "a YAML alias refers to a node that contains it (infinite expansion)")
                if id(child) not in done:
                    stack.append((child, False))
            continue
        active.discard(key)
        size = 1 + sum(done[id(c)][0] for c in children)
        depth = 1 + max((done[id(c)][1] for c in children), default=0)
        if size > MAX_NODES:
            raise _too_big(source, f"YAML aliases expand to more than {MAX_NODES:,} nodes (an alias bomb?)")
        if depth > MAX_DEPTH:
            raise _too_big(source, f"nested more than {MAX_DEPTH} levels deep")
        done[key] = (size, depth)


def parse_yaml(text: str, source: str) -> Any:
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _node_size_and_depth(node, source)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError([Problem(source, where, f"malformed YAML: {problem}",
                                  "fix the syntax at that position")]) from None
    except RecursionError:
        raise _too_big(source, "nested too deeply to read") from None
    finally:
        loader.dispose()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (Grafana refuses it); write a number or null")


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether plain data nests deeper than `limit` (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def parse_json(text: str, source: str) -> Any:
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(source, f"line {exc.lineno}, column {exc.colno}",
                                  f"malformed JSON: {exc.msg}", "fix the syntax at that position")]) from None
    except ValueError as exc:
        raise InputError([Problem(source, "", f"malformed JSON: {exc}", "fix the value")]) from None
    except RecursionError:
        raise _too_big(source, "nested too deeply to read") from None
    if depth_exceeds(data):
        raise _too_big(source, f"nested more than {MAX_DEPTH} levels deep")
    return data


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(str(path), "", "file not found", "check the path")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), "", f"cannot be read: {exc}", "check the file")]) from None


def load_document(path: Path) -> Any:
    """Parse a .json, .yaml or .yml file into plain data."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        return parse_json(text, str(path))
    return parse_yaml(text, str(path))
