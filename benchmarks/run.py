"""Run every benchmark: each ``benchmarks/*_bench.py`` module's ``main()`` in turn.

    python benchmarks/run.py            # all of them, in name order
    python benchmarks/run.py engine     # only those whose name contains "engine"

A new benchmark needs no registration: name it ``<topic>_bench.py`` and give it
a ``main()`` that prints its table. Benchmarks report PASS/FAIL against their
targets but never fail the run for a slow result; the exit status is 1 only
when a benchmark crashed (its traceback is printed and the others still run).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover(filters: list[str]) -> list[Path]:
    files = sorted(HERE.glob("*_bench.py"))
    if filters:
        files = [f for f in files if any(word in f.stem for word in filters)]
    return files


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"benchmarks.{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # GUI benches need no display
    files = discover(sys.argv[1:] if argv is None else argv)
    if not files:
        print(f"no benchmarks/*_bench.py matched {argv or sys.argv[1:]}")
        return 1
    crashed = []
    for path in files:
        print(f"=== {path.name} " + "=" * max(0, 66 - len(path.name)))
        t0 = time.perf_counter()
        try:
            load(path).main()
        except Exception:
            traceback.print_exc()
            crashed.append(path.name)
        print(f"--- {path.name}: {time.perf_counter() - t0:.1f} s")
        print()
    if crashed:
        print(f"crashed: {', '.join(crashed)}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
