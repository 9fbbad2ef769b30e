"""The checkout is self-contained: no file under tests/, scripts/ or bench/ names a path that leaves it.

Amazon's models are read from the vendored copy (spapi/amazon_models, through spapi.model_catalog); comparing
that copy with a reference copy is ``scripts/check_models.py REFERENCE_DIR``, run by hand, never by the suite.
The scan looks for the ways out: climbing with ``..``, ``Path(__file__)`` parents above the checkout, the home
directory, machine-specific absolute paths, a fixed directory under /tmp (tests use ``tmp_path``), and the
reference copy beside the checkout.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.paths import REPO

SCANNED = ("tests", "scripts", "bench")
SKIPPED_DIRS = frozenset({"__pycache__"})

# Anywhere, comments included: the reference copy beside the checkout, and climbing out of a directory.
EVERYWHERE = {
    "names the reference copy beside the checkout": re.compile(
        r"shared[\\/]spapi-models|[\"']spapi-models[\"']"
    ),
    "climbs with ..": re.compile(r"(?<![.\w])\.\.[\\/]|/\s*[\"']\.\.[\"']|\bos\.pardir\b"),
    "climbs above the checkout from REPO": re.compile(r"\b(?:REPO|ROOT)\s*\.\s*parents?\b"),
    # Whatever the depth: "shared" joined to a parent of this file or to the checkout is the reference copy.
    "names a shared folder next to the checkout": re.compile(
        r"(?:\.\s*parents\s*\[\s*\d+\s*\]|\.\s*parent\b|\b(?:REPO|ROOT))\s*/\s*[\"']shared[\"']"
    ),
    "names the home directory": re.compile(r"\bPath\.home\(|\bexpanduser\(|[\"']~[\\/]"),
    "names a machine-specific absolute path": re.compile(r"(?<![\w.:/-])/(?:work|home|Users|root)/[\w.-]"),
}
# In code only (string literals; for other files, lines that are not comments): a fixed data location.
IN_CODE = {
    "names a fixed absolute data location": re.compile(
        r"(?<![\w.:/-])/(?:tmp|var/tmp|mnt|srv|opt|data|media|shared)/[\w.-]"
    ),
}
# Path(__file__)[.resolve()] followed by .parent / .parents[N] steps, however many.
FROM_FILE = re.compile(
    r"__file__\s*\)(?:\s*\.\s*(?:resolve|absolute)\(\s*\))?"
    r"(?P<steps>(?:\s*\.\s*(?:parent\b|parents\s*\[\s*\d+\s*\]))+)"
)
STEP = re.compile(r"parents\s*\[\s*(\d+)\s*\]|parent\b")


@dataclass(frozen=True)
class Finding:
    """One place where a file names a path outside the checkout."""

    path: str
    line: int
    rule: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.text.strip()}"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _levels(steps: str) -> int:
    """How many directories up a chain of ``.parent`` / ``.parents[N]`` goes."""
    return sum(int(match.group(1)) + 1 if match.group(1) else 1 for match in STEP.finditer(steps))


def _python_strings(text: str) -> list[tuple[int, str]] | None:
    """(line, literal) of every string literal, docstrings included; None when the file does not tokenize."""
    kinds = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    return [(token.start[0], token.string) for token in tokens if token.type in kinds]


def _code_pieces(relative: str, text: str) -> list[tuple[int, str]]:
    """Where data locations would be: a Python file's string literals, another file's non-comment lines."""
    if relative.endswith(".py"):
        strings = _python_strings(text)
        if strings is not None:
            return strings
    lines = enumerate(text.splitlines(), start=1)
    return [(number, line) for number, line in lines if not line.lstrip().startswith(("#", "//"))]


def scan_text(relative: str, text: str) -> list[Finding]:
    """Every way out named in ``text``, the content of the file at ``relative`` (a path in the checkout)."""
    lines = text.splitlines()
    found: list[Finding] = []
    for rule, pattern in EVERYWHERE.items():
        for match in pattern.finditer(text):
            number = _line_of(text, match.start())
            found.append(Finding(relative, number, rule, lines[number - 1]))
    depth = len(Path(relative).parts)  # Path(__file__) with this many parents is the checkout itself
    for match in FROM_FILE.finditer(text):
        if _levels(match.group("steps")) > depth:
            number = _line_of(text, match.start())
            found.append(
                Finding(relative, number, "climbs above the checkout from __file__", lines[number - 1])
            )
    for number, piece in _code_pieces(relative, text):
        for rule, pattern in IN_CODE.items():
            if pattern.search(piece):
                found.append(Finding(relative, number, rule, lines[number - 1]))
    return found


def scan(root: Path, folders: tuple[str, ...] = SCANNED) -> list[Finding]:
    """Every way out named by a text file under ``folders`` of the checkout at ``root``."""
    found: list[Finding] = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            if not path.is_file() or SKIPPED_DIRS.intersection(path.relative_to(root).parts):
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # not a text file
            found += scan_text(path.relative_to(root).as_posix(), text)
    return found


def test_tests_scripts_and_benches_name_no_path_outside_the_checkout() -> None:
    found = scan(REPO)
    assert not found, "paths that leave the checkout:\n" + "\n".join(map(str, found))


def test_the_scan_reads_every_folder() -> None:
    scanned = {
        path.relative_to(REPO).parts[0] for folder in SCANNED for path in (REPO / folder).rglob("*.py")
    }
    assert scanned == set(SCANNED)


# The samples are written in pieces ("." + "./") so that this file does not trip its own scan.
WAYS_OUT = [
    ("tests/handlers/conftest.py", "MODELS = Path(__file__).resolve().parents[" + '3] / "shared"'),
    (
        "tests/spapi/test_models.py",
        "MODELS = Path(__file__).resolve().parents[" + '2].parent / "sha' + 'red"',
    ),
    ("tests/consumer/daemon/test_x.py", "MODELS = Path(__file__).resolve().parents[" + '3] / "shared"'),
    ("tests/conftest.py", "MODELS = REPO / " + '"shared" / "models"'),
    ("tests/x/conftest.py", "MODELS = Path(__file__).resolve().parents[" + '2] / "' + '.." / "models"'),
    ("tests/conftest.py", "MODELS = Path(__file__).resolve().parent.parent" + '.parent / "models"'),
    ("tests/handlers/conftest.py", "# .." + "/shared/" + "spapi-models beside the checkout"),
    ("tests/conftest.py", 'MODELS = REPO / "sha' + 'red" / "spapi' + '-models"'),
    ("tests/conftest.py", "MODELS = REPO" + '.parent / "models"'),
    ("tests/conftest.py", 'MODELS = Path("/wo' + 'rk/models")'),
    ("tests/conftest.py", 'CACHE = Path("/tm' + 'p/spapi-cache/models.json")'),
    ("scripts/fetch.sh", 'cp -r "$HOME" /ho' + "me/me/models ."),
    ("bench/run.py", "CONFIG = Path.ho" + 'me() / ".spapi-notify"'),
    ("tests/conftest.py", "CONFIG = os.path.expand" + 'user("~' + '/x")'),
]


@pytest.mark.parametrize(("relative", "line"), WAYS_OUT)
def test_the_scan_finds_a_way_out(relative: str, line: str) -> None:
    assert scan_text(relative, line + "\n"), line


def test_the_scan_finds_the_old_reference_to_the_models_beside_the_checkout(tmp_path: Path) -> None:
    conftest = tmp_path / "tests" / "handlers" / "conftest.py"
    conftest.parent.mkdir(parents=True)
    conftest.write_text("MODELS = Path(__file__).resolve().parents[" + '3] / "shared"\n', encoding="utf-8")
    (tmp_path / "tests" / "binary.db").write_bytes(b"\xff\xfe\x00/wo" + b"rk/")
    found = scan(tmp_path, ("tests",))
    assert {(finding.path, finding.line, finding.rule) for finding in found} == {
        ("tests/handlers/conftest.py", 1, "climbs above the checkout from __file__"),
        ("tests/handlers/conftest.py", 1, "names a shared folder next to the checkout"),
    }


LEGITIMATE = [
    ("tests/fixtures/paths.py", "REPO = Path(__file__).resolve().parents[" + "2]"),
    ("tests/test_benches.py", "ROOT = Path(__file__).resolve().parent.parent"),
    (
        "scripts/gen_usage_plans.py",
        'TARGET = Path(__file__).resolve().parent.parent / "spapi" / "usage_plans.py"',
    ),
    ("tests/handlers/test_report_storage.py", 'assert object_key("..", "a/b", "c d") == "_/a_b/c_d"'),
    ("tests/handlers/test_report_storage.py", '_row("DONE", location="/r/1", sha256="ab")'),
    ("tests/fixtures/postgres.py", 'return "/tmp" if os.path.isdir("/tmp") else None'),
    ("tests/fixtures/postgres.py", 'DEBIAN_LAYOUT = Path("/usr/lib/postgresql")'),
    ("tests/infra/test_k8s.py", 'assert "emptyDir" in volumes[mounts["/tmp"]]'),
    ("tests/x.py", 'URL = "s3://bucket/home/reports/" + "https://example.com/work/x"'),
    ("tests/x.py", 'directory = tmp_path / "demo"'),
    ("scripts/demo", "#   ./scripts/demo --dir /tm" + "p/spapi-demo"),
    ("scripts/test", 'ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"'),
    ("tests/x.py", "# under /tmp (tests use tmp_path)"),
]


@pytest.mark.parametrize(("relative", "line"), LEGITIMATE)
def test_the_scan_leaves_legitimate_content_alone(relative: str, line: str) -> None:
    assert scan_text(relative, line + "\n") == []
