"""``spapi-notify sellers``: the token comes from stdin or the environment and is never printed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from consumer.cli.main import app

TOKEN = "Atzr|cli-refresh-token-5e1f"


@pytest.fixture
def env(sqlite_url: str, key: str) -> dict[str, str]:
    return {"SPAPI_NOTIFY_DATABASE_URL": sqlite_url, "SPAPI_NOTIFY_ENCRYPTION_KEY": key}


def invoke(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env, input=stdin)
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def test_add_from_stdin_list_and_remove(env: dict[str, str]) -> None:
    assert invoke(env, "db", "upgrade")[0] == 0
    code, out = invoke(
        env, "sellers", "add", "A2SELLER", "-m", "A1PA6795UKMFR9", "-m", "A13V1IB3VIYZZH", stdin=TOKEN
    )
    assert (code, out.strip()) == (0, "added A2SELLER (eu)")
    code, out = invoke(
        {**env, "SPAPI_NOTIFY_SELLER_REFRESH_TOKEN": TOKEN},
        "sellers",
        "add",
        "amzn1.vg.555",
        "--region",
        "fe",
    )
    assert (code, out.strip()) == (0, "added amzn1.vg.555 (fe)")

    code, out = invoke(env, "sellers", "list")
    assert code == 0
    assert "A2SELLER" in out
    assert "A1PA6795UKMFR9,A13V1IB3VIYZZH" in out
    assert "vendor" in out
    assert TOKEN not in out
    code, out = invoke(env, "sellers", "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["seller_id"], r["region"], r["account_kind"]) for r in rows] == [
        ("A2SELLER", "eu", "seller"),
        ("amzn1.vg.555", "fe", "vendor"),
    ]
    assert TOKEN not in out

    assert invoke(env, "sellers", "remove", "A2SELLER") == (0, "removed A2SELLER\n")
    code, out = invoke(env, "sellers", "remove", "A2SELLER")
    assert code == 1
    assert "no seller A2SELLER" in out


def test_add_refuses_bad_input_with_clear_errors(env: dict[str, str]) -> None:
    invoke(env, "db", "upgrade")
    code, out = invoke(env, "sellers", "add", "A2SELLER", stdin="\n")
    assert code == 2
    assert "no refresh token" in out
    code, out = invoke(env, "sellers", "add", "A2SELLER", "-m", "NOT-A-MARKETPLACE", stdin=TOKEN)
    assert code == 2
    assert "unknown marketplace id(s): NOT-A-MARKETPLACE" in out
    code, out = invoke(
        env, "sellers", "add", "A2SELLER", "-m", "ATVPDKIKX0DER", "-m", "A1PA6795UKMFR9", stdin=TOKEN
    )
    assert code == 2
    assert "several regions" in out
    code, out = invoke({**env, "SPAPI_NOTIFY_ENCRYPTION_KEY": ""}, "sellers", "add", "A2SELLER", stdin=TOKEN)
    assert code == 2
    assert "SPAPI_NOTIFY_ENCRYPTION_KEY is not set" in out
    assert TOKEN not in out


def test_a_database_not_yet_migrated_says_so(env: dict[str, str]) -> None:
    code, out = invoke(env, "sellers", "list")
    assert code == 2
    assert "db upgrade" in out


def test_rotate_key_and_generate_key(env: dict[str, str], key: str) -> None:
    invoke(env, "db", "upgrade")
    invoke(env, "sellers", "add", "A2SELLER", stdin=TOKEN)
    code, new_key = invoke(env, "sellers", "generate-key")
    assert code == 0
    new_key = new_key.strip()
    rotated_env = {**env, "SPAPI_NOTIFY_ENCRYPTION_KEY": f"{new_key},{key}"}
    assert invoke(rotated_env, "sellers", "rotate-key") == (
        0,
        "re-encrypted 1 refresh token(s) with the newest key\n",
    )


def test_with_nothing_on_stdin_only_the_shortcut_seller_gets_the_shortcut_token(env: dict[str, str]) -> None:
    invoke(env, "db", "upgrade")
    shortcut = {**env, "SPAPI_NOTIFY_SELLER_ID": "A2SELLER", "SPAPI_NOTIFY_REFRESH_TOKEN": TOKEN}
    code, out = invoke(shortcut, "sellers", "add", "A2SELLER", stdin="")
    assert (code, out.strip()) == (0, "added A2SELLER (na)")
    code, out = invoke(shortcut, "sellers", "add", "A9OTHER", stdin="")
    assert code == 2
    assert "no refresh token" in out
