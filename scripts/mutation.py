"""Mutation testing, one module at a time, each against its own tests (``make mutation``).

mutmut reads one configuration (``[tool.mutmut]`` in ``pyproject.toml``) and maps tests to
functions over every test file it is given, so a single run over all modules collects the
slowest module's tests for every module.  This script instead runs mutmut once per entry of
``[tool.handdigits.mutation.modules]`` (a source glob -> its test files), in a copy of the
project under ``build/mutation/<name>/`` whose ``[tool.mutmut]`` mutates only that glob and
selects only those tests; the shared options (pytest arguments, excluded functions, timeouts)
come from ``[tool.mutmut]``.  Then it prints each module's score (``scripts/mutation_score.py``).

    python scripts/mutation.py [--jobs 1] [--min 90] [--sample N --seed S] [NAME ...]

NAME restricts the run to some modules (``validation``, ``idx``, ``preprocess``...: the
glob's file or folder name).  ``--sample N`` tests a random sample of N mutants per module
(seeded, so a run can be repeated) instead of all of them.  Results stay in
``build/mutation/<name>/mutants/`` (``mutmut show NAME`` and ``mutmut browse`` work there).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import mutation_score  # noqa: E402

OUT = ROOT / "build" / "mutation"
COPIED = ("src", "tests")


def modules() -> dict[str, list[str]]:
    """The ``[tool.handdigits.mutation.modules]`` table: source glob -> test files."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return config["tool"]["handdigits"]["mutation"]["modules"]


def name_of(glob: str) -> str:
    """``src/handdigits/datasets/idx.py`` -> ``idx``; ``src/handdigits/preprocess/*`` -> ``preprocess``."""
    path = Path(glob)
    return path.stem if "*" not in path.name else path.parent.name


def toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def prepare(glob: str, tests: list[str]) -> Path:
    """A copy of the project under build/mutation/NAME whose [tool.mutmut] covers only GLOB and TESTS."""
    work = OUT / name_of(glob)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", "*.egg-info")
    for folder in COPIED:
        shutil.copytree(ROOT / folder, work / folder, ignore=ignore)
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    shared = tomllib.loads(text)["tool"]["mutmut"]
    # drop the [tool.mutmut] table (up to the next table header) and write this module's own
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text)
    lines = ["[tool.mutmut]", f"only_mutate = {toml_list([glob])}",
             f"pytest_add_cli_args_test_selection = {toml_list(tests)}", "use_git_change_detection = false"]
    for key, value in shared.items():
        if key not in ("only_mutate", "pytest_add_cli_args_test_selection", "use_git_change_detection"):
            lines.append(f"{key} = {json.dumps(value)}")
    (work / "pyproject.toml").write_text(text + "\n" + "\n".join(lines) + "\n", "utf-8")
    return work


def mutmut(work: Path, jobs: int, names: list[str], log) -> int:
    mutmut_exe = Path(sys.executable).with_name("mutmut")
    cmd = [str(mutmut_exe), "run", "--max-children", str(jobs), *names]
    env = dict(os.environ, CI="true")  # conftest: no hypothesis deadline (a loaded machine is not a mutant)
    shared = ROOT.parent / "shared" / "data"  # conftest looks next to the repository, not next to the copy
    if "HANDDIGITS_DATA" not in env and shared.is_dir():
        env["HANDDIGITS_DATA"] = str(shared)
    return subprocess.run(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT, env=env, check=False).returncode


def sample(work: Path, n: int, seed: int) -> list[str]:
    """N mutant names drawn with SEED from all that mutmut generated (sorted first, so it repeats)."""
    keys = []
    for meta in (work / "mutants").rglob("*.py.meta"):
        keys.extend(json.loads(meta.read_text())["exit_code_by_key"])
    keys.sort()
    return sorted(random.Random(seed).sample(keys, min(n, len(keys))))


def run_module(glob: str, tests: list[str], args) -> Path:
    work = prepare(glob, tests)
    with open(work / "mutmut.log", "w") as log:
        names: list[str] = []
        if args.sample:
            # a filter that matches nothing: mutmut generates the mutants and maps tests, then stops
            mutmut(work, args.jobs, ["no-such-mutant"], log)
            names = sample(work, args.sample, args.seed)
            (work / "sample.txt").write_text("\n".join(names) + "\n")
            print(f"{name_of(glob)}: testing a sample of {len(names)} mutants (seed {args.seed})", flush=True)
        rc = mutmut(work, args.jobs, names, log)
    if rc:
        print(f"mutmut failed for {glob} (exit {rc}); see {work / 'mutmut.log'}", file=sys.stderr)
    return work


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="modules to run (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="mutmut workers per module")
    parser.add_argument("--min", type=float, default=None, help="fail when a module kills fewer (percent)")
    parser.add_argument("--sample", type=int, default=0, help="test N random mutants per module (0: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample")
    args = parser.parse_args(argv)
    table = modules()
    chosen = [glob for glob in table if not args.names or name_of(glob) in args.names]
    unknown = set(args.names) - {name_of(glob) for glob in table}
    if unknown:
        parser.error(f"unknown module(s) {sorted(unknown)}; accepted: {sorted(name_of(g) for g in table)}")
    rc = 0
    for glob in chosen:
        print(f"== {glob}: {' '.join(table[glob])}", flush=True)
        work = run_module(glob, table[glob], args)
        only = (work / "sample.txt").read_text().split() if args.sample else None
        rc = max(rc, mutation_score.main(["--mutants", str(work / "mutants"), *(["--min", str(args.min)] if args.min else [])]
                                         + (["--only", str(work / "sample.txt")] if only else [])))
    return rc


if __name__ == "__main__":
    sys.exit(main())
