"""scripts/check_models.py, against reference copies made in tmp_path from the vendored one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import check_models
from spapi.model_catalog import APIS_DIR, MODELS_DIR, NOTIFICATION_SCHEMAS_DIR
from tests.fixtures.paths import REPO

SCRIPT = REPO / "scripts" / "check_models.py"


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    """A faithful reference copy: Amazon's folders and files, without the vendored README."""
    copy = tmp_path / "reference"
    for folder in check_models.FOLDERS:
        shutil.copytree(MODELS_DIR / folder, copy / folder)
    for name in check_models.FILES:
        shutil.copyfile(MODELS_DIR / name, copy / name)
    return copy


def test_a_faithful_copy_passes(reference: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_models.main([str(reference)]) == 0
    assert capsys.readouterr().out == ""


def test_every_difference_is_one_line(reference: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changed = sorted(NOTIFICATION_SCHEMAS_DIR.glob("*.json"))[0].name
    (reference / "notifications" / changed).write_bytes(b"{}")
    dropped = sorted(APIS_DIR.glob("*.json"))[0].name
    (reference / "apis" / dropped).unlink()
    (reference / "apis" / "newApi_2099-01-01.json").write_text("{}")
    (reference / "NOTICE").write_text("another notice")

    assert check_models.main([str(reference)]) == 1

    assert sorted(capsys.readouterr().out.splitlines()) == sorted(
        [
            f"notifications/{changed}: differs from the reference copy",
            f"apis/{dropped}: not in the reference copy",
            "apis/newApi_2099-01-01.json: missing from the vendored copy",
            "NOTICE: differs from the reference copy",
        ]
    )


def test_a_reference_without_amazon_s_layout_is_reported(reference: Path) -> None:
    shutil.rmtree(reference / "notifications")
    (reference / "LICENSE").unlink()
    assert check_models.model_differences(reference) == [
        f"notifications/: missing from the reference copy {reference}",
        f"LICENSE: missing from the reference copy {reference}",
    ]


def test_a_stale_usage_plan_table_is_reported(
    reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "usage_plans.py"
    stale.write_text("USAGE_PLANS = {}\n", encoding="utf-8")
    monkeypatch.setattr(check_models, "TARGET", stale)
    assert check_models.usage_plan_differences() == [
        "usage_plans.py: not what scripts/gen_usage_plans.py generates (run it)"
    ]


def test_a_reference_that_is_not_a_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        check_models.main([str(tmp_path / "nowhere")])
    assert exited.value.code == 2
    assert "is not a directory" in capsys.readouterr().err


def test_the_command_line(reference: Path, tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, str(SCRIPT), *args]
        return subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)

    passed = run(str(reference))
    assert (passed.returncode, passed.stdout) == (0, "")
    (reference / "LICENSE").write_text("changed")
    failed = run(str(reference))
    assert (failed.returncode, failed.stdout) == (1, "LICENSE: differs from the reference copy\n")
