"""The suite's layout: helpers are shared through tests/fixtures (and tests/builders.py), never by importing
a conftest, whose fixtures pytest already gives to its own folder."""

from __future__ import annotations

import ast

import pytest

from tests.fixtures.paths import REPO

TESTS = REPO / "tests"


def conftest_imports(source: str) -> list[str]:
    """The modules a Python source imports that are conftests."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            # `from tests.x.conftest import a` names the conftest; `from tests.x import conftest` its alias.
            names = (
                [node.module]
                if "conftest" in node.module.split(".")
                else [f"{node.module}.{alias.name}" for alias in node.names]
            )
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [name for name in names if "conftest" in name.split(".")]
    return found


def test_no_module_imports_a_conftest() -> None:
    offenders = {
        str(path.relative_to(REPO)): imported
        for path in sorted(TESTS.rglob("*.py"))
        if (imported := conftest_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from tests.daemon.conftest import Queues", ["tests.daemon.conftest"]),
        ("from tests.daemon import conftest as daemon_fixtures", ["tests.daemon.conftest"]),
        ("import tests.sandbox.conftest", ["tests.sandbox.conftest"]),
        ("from tests.fixtures.queues import Queues", []),
    ],
)
def test_conftest_imports_are_recognised(source: str, expected: list[str]) -> None:
    assert conftest_imports(source) == expected
