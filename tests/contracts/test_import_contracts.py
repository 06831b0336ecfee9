"""The import-linter contracts in pyproject.toml (run by `make lint`) cannot go stale.

import-linter has no "standard library only" contract, so the domain rule is a forbidden contract
listing every third-party package by name; these tests fail when a new dependency or a new service
would slip past the contracts unseen.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

import grimp

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
SETTINGS: dict[str, Any] = PYPROJECT["tool"]["importlinter"]
SERVICES = sorted(m for m in PYPROJECT["tool"]["uv"]["workspace"]["members"] if m.endswith("_svc"))


def contract(name_start: str) -> dict[str, Any]:
    (found,) = [c for c in SETTINGS["contracts"] if c["name"].startswith(name_start)]
    return found


def test_the_domain_contract_forbids_every_third_party_package_our_code_imports() -> None:
    graph = grimp.build_graph(*SETTINGS["root_packages"], include_external_packages=True, cache_dir=None)
    third_party = {
        module
        for module in graph.modules
        if graph.is_module_squashed(module) and module not in sys.stdlib_module_names
    }
    forbidden = set(contract("A service's domain")["forbidden_modules"])
    assert third_party - forbidden == set(), "add these to the domain contract's forbidden_modules"


def test_every_service_is_under_every_contract_about_services() -> None:
    assert set(SERVICES) <= set(SETTINGS["root_packages"])
    domain = contract("A service's domain")
    assert set(domain["source_modules"]) == {f"{service}.domain" for service in SERVICES}
    assert {f"{service}.*" for service in SERVICES} <= set(domain["forbidden_modules"])
    assert set(contract("A service's layers")["containers"]) == set(SERVICES)
    assert set(contract("No service imports another service")["modules"]) == set(SERVICES)
    assert set(contract("Services import neither")["source_modules"]) == set(SERVICES)
    assert set(SERVICES) <= set(contract("The edge imports")["forbidden_modules"])
    assert set(SERVICES) <= set(contract("The runtime imports")["forbidden_modules"])
