"""Benchmarks, each a module run from the repository root: ``.venv/bin/python -m bench.NAME [--quick]``.

Run as modules, not as ``bench/NAME.py``: a script's own directory comes first on sys.path, where
bench/consumer.py would shadow the ``consumer`` package.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

QUICK_HELP = (
    "a check that the bench works, in seconds: every stage with small sizes (explicit options still win); "
    "the figures are noise, so the bars are printed but not enforced"
)


def parse_args(parser: argparse.ArgumentParser, **quick: object) -> argparse.Namespace:
    """Add ``--quick`` to ``parser`` and parse; with ``--quick``, ``quick`` replaces the option defaults."""
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    known, _ = parser.parse_known_args()
    if known.quick:
        parser.set_defaults(**quick)
    return parser.parse_args()


def bar_verdict(ok: bool, quick: bool) -> str:
    """``met`` or ``NOT met``; a quick run says that its bar is not enforced."""
    verdict = "met" if ok else "NOT met"
    return f"{verdict} (quick run: not enforced)" if quick else verdict


def _refuse_script_mode() -> None:
    """Run as ``python bench/NAME.py``, a bench would import bench/consumer.py as ``consumer``: say how to run
    it instead. Every bench imports this package before the product's."""
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    if script is None or getattr(main, "__spec__", None) is not None:
        return
    path = Path(script).resolve()
    if path.parent == Path(__file__).resolve().parent:
        raise SystemExit(
            f"run benches as modules, from the repository root: .venv/bin/python -m bench.{path.stem}"
        )


_refuse_script_mode()
