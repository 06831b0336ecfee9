"""Stripe's form encoding, decoded: ``line_items[0][price_data][currency]=eur`` into nested values."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from psp_sim.errors import invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nested dictionaries from bracketed keys; a dictionary whose keys are all indices becomes a list
    (``expand[]=x`` appends, as Stripe accepts both forms)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise invalid(f"Invalid parameter name: {key}", param=key, code="parameter_unknown")
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for index, given in enumerate(path):
            last = index == len(path) - 1
            part = given or str(len(node))
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise invalid(f"Invalid parameter: {key}", param=key)
                node = child
    return _lists(root)


def _lists(node: dict[str, Any]) -> dict[str, Any]:
    converted = _listed(node)
    assert isinstance(converted, dict)
    return converted


def _listed(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listed(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def fingerprint(params: dict[str, Any]) -> str:
    """A canonical text of the parameters, to tell a replay from a different request."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"))
