"""Print the mutation score of each module after ``mutmut run`` (``make mutation`` runs both).

Reads mutmut's result files (``mutants/**/*.py.meta``) and prints, per mutated module,
how many mutants the tests killed, the survivors' names (``mutmut show NAME`` prints
the change), and the score.  Mutants matching ``[tool.handdigits.mutation.excluded]`` in
``pyproject.toml`` (equivalent ones, each with its reason) are left out of the score.  ``--min 90`` exits with status 1 when a module scores less.

    python scripts/mutation_score.py [--min PERCENT] [--mutants DIR] [--only NAMES_FILE]
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

# mutmut's exit codes (mutmut.stats.status_by_exit_code); anything else is "suspicious"
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}


def excluded() -> dict[str, str]:
    """``[tool.handdigits.mutation.excluded]`` of pyproject.toml: mutant-name glob -> why it is not counted
    (an equivalent mutant, or code the selected tests cannot run)."""
    path = Path(__file__).resolve().parents[1] / "pyproject.toml"
    config = tomllib.loads(path.read_text("utf-8")) if path.exists() else {}
    return config.get("tool", {}).get("handdigits", {}).get("mutation", {}).get("excluded", {})


def status(name: str, code, skip: dict[str, str]) -> str:
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in skip):
        return "excluded"
    return STATUS.get(code, "suspicious")


def scores(mutants: Path, only: set[str] | None = None) -> dict[str, tuple[Counter, list[str], list[str]]]:
    out = {}
    skip = excluded()
    for meta in sorted(mutants.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if only is not None:
            codes = {k: code for k, code in codes.items() if k in only}
        if not codes:
            continue
        by_name = {k: status(k, code, skip) for k, code in codes.items()}
        counts = Counter(by_name.values())
        survivors = sorted(k for k, st in by_name.items() if st in ("survived", "no tests"))
        timeouts = sorted(k for k, st in by_name.items() if st == "timeout")
        out[str(meta.relative_to(mutants))[: -len(".meta")]] = (counts, survivors, timeouts)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=None, help="fail when a module kills fewer (percent)")
    parser.add_argument("--mutants", type=Path, default=Path("mutants"), help="mutmut's output directory")
    parser.add_argument("--only", type=Path, default=None, help="file of mutant names (one a line) to count")
    args = parser.parse_args(argv)
    results = scores(args.mutants, set(args.only.read_text().split()) if args.only else None)
    if not results:
        print(f"no mutmut results under {args.mutants}/; run `mutmut run` first", file=sys.stderr)
        return 2
    worst = 100.0
    for module, (counts, survivors, timeouts) in results.items():
        total = sum(counts.values())
        # timeouts are left out of the score: on a loaded machine an unchanged run can
        # time out too (rerun them with `mutmut run NAME`); so are unchecked mutants and
        # those listed as excluded (equivalent, or out of the tests' reach) in pyproject.toml
        decided = total - counts["timeout"] - counts["not checked"] - counts["excluded"]
        killed = counts["killed"]
        score = 100.0 * killed / decided if decided else 100.0
        worst = min(worst, score)
        detail = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        print(f"{module}: {killed}/{decided} killed ({score:.1f} %) of {total} mutants: {detail}")
        for name in survivors:
            print(f"    survived: {name}")
        for name in timeouts:
            print(f"    timeout: {name}")
    if args.min is not None and worst < args.min:
        print(f"mutation score below {args.min:g} % in at least one module", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
