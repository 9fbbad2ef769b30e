"""Check the vendored copy of Amazon's models (spapi/amazon_models) against a reference copy.

    uv run python scripts/check_models.py REFERENCE_DIR

REFERENCE_DIR is a copy of Amazon's models as published: ``apis/``, ``notifications/``, LICENSE and NOTICE.
Every one of those files must be byte-identical in spapi/amazon_models (and the vendored folders must hold
nothing else), and spapi/usage_plans.py must be what scripts/gen_usage_plans.py generates from the vendored
models. Prints one line per difference; exits 1 on any difference, 0 otherwise. The test suite never runs this
against a directory outside the checkout: it is for whoever updates the vendored copy.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.gen_usage_plans import TARGET, render
from spapi.model_catalog import MODELS_DIR

FOLDERS = ("apis", "notifications")
FILES = ("LICENSE", "NOTICE")


def _files(folder: Path) -> dict[str, Path]:
    return {path.name: path for path in sorted(folder.glob("*")) if path.is_file()} if folder.is_dir() else {}


def _compare(name: str, reference: Path, vendored: Path) -> list[str]:
    if not vendored.is_file():
        return [f"{name}: missing from the vendored copy"]
    if vendored.read_bytes() != reference.read_bytes():
        return [f"{name}: differs from the reference copy"]
    return []


def model_differences(reference: Path, vendored: Path = MODELS_DIR) -> list[str]:
    """Every file of the reference's folders (and LICENSE, NOTICE) that the vendored copy lacks or changes,
    and every vendored file of those folders that the reference does not have."""
    differences: list[str] = []
    for folder in FOLDERS:
        if not (reference / folder).is_dir():
            differences.append(f"{folder}/: missing from the reference copy {reference}")
            continue
        theirs, ours = _files(reference / folder), _files(vendored / folder)
        for name, path in theirs.items():
            differences += _compare(f"{folder}/{name}", path, vendored / folder / name)
        differences += [f"{folder}/{name}: not in the reference copy" for name in ours if name not in theirs]
    for name in FILES:
        if not (reference / name).is_file():
            differences.append(f"{name}: missing from the reference copy {reference}")
        else:
            differences += _compare(name, reference / name, vendored / name)
    return differences


def usage_plan_differences() -> list[str]:
    """One line when spapi/usage_plans.py is not what scripts/gen_usage_plans.py would write."""
    if TARGET.read_text(encoding="utf-8") != render():
        return [f"{TARGET.name}: not what scripts/gen_usage_plans.py generates (run it)"]
    return []


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("reference", type=Path, metavar="REFERENCE_DIR", help="a copy of Amazon's models")
    args = parser.parse_args(argv)
    reference: Path = args.reference
    if not reference.is_dir():
        parser.error(f"{reference} is not a directory")
    differences = model_differences(reference) + usage_plan_differences()
    for line in differences:
        print(line)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
