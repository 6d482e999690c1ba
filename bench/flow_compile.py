"""How long the rule compiler takes: milliseconds per description, over the evaluation corpus.

    uv run python bench/flow_compile.py              # 5 rounds over tests/data/flow_corpus
    uv run python bench/flow_compile.py --rounds 20 --json

Each round compiles every corpus description against its organization (see
tests/data/flow_corpus/inventories.yaml), one after the other in one process, and times:

- ``compile``: what ``flows generate`` runs: every reading (the first and up to seven
  alternatives), each validated like ``flows apply``, explained and rendered;
- ``first``: the first reading only (``max_readings=1``), what a caller that does not offer
  "regenerate" would pay.

Reported: median, p90, p99 and max in milliseconds, and the descriptions per second. No
network, no database: the organization's names are given, as the generate service loads them
once per request (one indexed query per kind of name).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.flowai.corpus import cases, inventories  # noqa: E402

from identra.flowai.compiler import compile_description  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values), 3),
        "p90_ms": round(percentile(values, 90), 3),
        "p99_ms": round(percentile(values, 99), 3),
        "max_ms": round(max(values), 3),
        "per_second": round(1000 / statistics.mean(values), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    invs = inventories()
    corpus = cases()
    for case in corpus:  # warm up: imports, regular expressions, phrase tables
        compile_description(case.say, invs[case.inventory])
    timings: dict[str, list[float]] = {"compile": [], "first": []}
    for _ in range(args.rounds):
        for case in corpus:
            inv = invs[case.inventory]
            started = time.perf_counter()
            compile_description(case.say, inv)
            timings["compile"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            compile_description(case.say, inv, max_readings=1)
            timings["first"].append((time.perf_counter() - started) * 1000)
    out = {
        "descriptions": len(corpus),
        "rounds": args.rounds,
        "python": platform.python_version(),
        "machine": platform.machine(),
        **{name: summary(values) for name, values in timings.items()},
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{len(corpus)} descriptions x {args.rounds} rounds (Python {out['python']})")
    for name in ("compile", "first"):
        s = out[name]
        print(
            f"  {name:8} median {s['median_ms']:.2f} ms  p90 {s['p90_ms']:.2f} ms  "
            f"p99 {s['p99_ms']:.2f} ms  max {s['max_ms']:.2f} ms  ({s['per_second']:.0f}/s)"
        )


if __name__ == "__main__":
    main()
