"""The generic behaviour of the ``handdigits`` command: version, help, usage errors, entry points.

Sub-command behaviour (predict, demo, train, benchmark) is tested with the
modules that implement it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import handdigits
from handdigits import cli

SUBCOMMANDS = ("predict", "demo", "train", "benchmark")


def _main(argv, capsys):
    """Run ``cli.main(argv)``; return ``(exit code, stdout, stderr)`` whether it returns or exits."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys):
    code, out, _ = _main(["--version"], capsys)
    assert code == 0
    assert out.strip() == f"handdigits {handdigits.__version__}"


def test_help_lists_every_subcommand(capsys):
    code, out, _ = _main(["--help"], capsys)
    assert code == 0
    assert out.startswith("usage: handdigits")
    for name in SUBCOMMANDS:
        assert name in out


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_subcommand_help(name, capsys):
    code, out, _ = _main([name, "--help"], capsys)
    assert code == 0
    assert out.startswith(f"usage: handdigits {name}")


def test_no_command_is_a_usage_error(capsys):
    code, out, err = _main([], capsys)
    assert code == 2
    assert out == ""
    assert "usage: handdigits" in err and "required" in err


def test_unknown_command_is_a_usage_error(capsys):
    code, out, err = _main(["frobnicate"], capsys)
    assert code == 2
    assert out == ""
    assert "frobnicate" in err and "invalid choice" in err


def test_unknown_option_is_a_usage_error(capsys):
    code, _, err = _main(["demo", "--no-such-option"], capsys)
    assert code == 2
    assert "unrecognized arguments: --no-such-option" in err


def test_usage_errors_name_the_valid_choices(capsys):
    _, _, err = _main(["frobnicate"], capsys)
    for name in SUBCOMMANDS:
        assert name in err


def _run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)


def test_python_dash_m_handdigits():
    proc = _run([sys.executable, "-m", "handdigits", "--version"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"handdigits {handdigits.__version__}"


def test_python_dash_m_handdigits_usage_error_exit_code():
    proc = _run([sys.executable, "-m", "handdigits", "frobnicate"])
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


def test_python_dash_m_handdigits_train_help():
    proc = _run([sys.executable, "-m", "handdigits.train", "--help"])
    assert proc.returncode == 0, proc.stderr
    for flag in ("--model", "--epochs", "--strategy", "--output", "--seed"):
        assert flag in proc.stdout


def test_console_script():
    script = Path(sys.executable).with_name("handdigits")
    if not script.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    proc = _run([str(script), "--version"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"handdigits {handdigits.__version__}"


def test_help_does_not_load_tensorflow():
    """``handdigits --help`` and usage errors must answer without importing TensorFlow."""
    code = (
        "import json, sys\n"
        "from handdigits.cli import main\n"
        "codes = []\n"
        "for argv in (['--help'], ['--version'], ['frobnicate'], ['predict', '--help']):\n"
        "    try:\n"
        "        codes.append(main(argv))\n"
        "    except SystemExit as exc:\n"
        "        codes.append(exc.code)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
        "print(json.dumps({'codes': codes, 'heavy': heavy[:5]}))\n"
    )
    proc = _run([sys.executable, "-c", code])
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["codes"] == [0, 0, 2, 0]
    assert result["heavy"] == []


def test_benchmark_model_names():
    from handdigits.cli import _named_path

    assert _named_path("small=runs/seed/model.keras") == ("small", "runs/seed/model.keras")
    assert _named_path("runs/seed/model.keras") == ("runs/seed/model.keras", "runs/seed/model.keras")
    # an '=' inside a path is not a name
    assert _named_path("runs/a=b/model.keras") == ("runs/a=b/model.keras", "runs/a=b/model.keras")
