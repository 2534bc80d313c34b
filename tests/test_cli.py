"""The generic behaviour of the ``handdigits`` command: version, help, usage errors, entry points.

Sub-command behaviour (predict, demo, train, benchmark) is tested with the
modules that implement it.
"""

from __future__ import annotations

import json
import os
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


def test_declared_entry_point_is_main_and_cli_package_runs():
    """pyproject's ``handdigits`` script names ``cli.main``; ``python -m handdigits.cli`` runs it too."""
    import importlib
    import tomllib

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    target = tomllib.loads(pyproject.read_text())["project"]["scripts"]["handdigits"]
    module, _, attr = target.partition(":")
    assert getattr(importlib.import_module(module), attr) is cli.main
    proc = _run([sys.executable, "-m", "handdigits.cli", "--version"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"handdigits {handdigits.__version__}"


@pytest.mark.parametrize("command", ["predict", "read", "demo", "serve"])
def test_every_image_command_takes_model_and_checks_it(capsys, command, tmp_path):
    argv = [command] + (["x.png"] if command in ("predict", "read") else [])
    code, _, err = _main([*argv, "--model", str(tmp_path / "missing.keras")], capsys)
    assert code == 2 and f"handdigits {command}: error: --model: model file not found" in err


def _exit_codes_in_a_fresh_process(fresh_python, *argvs) -> dict:
    """``{"codes": [exit code per argv], "heavy": [TensorFlow/Keras modules imported]}`` of ``main`` runs."""
    return fresh_python(
        "import json, sys\n"
        "from handdigits.cli import main\n"
        "codes = []\n"
        f"for argv in {argvs!r}:\n"
        "    try:\n"
        "        codes.append(main(list(argv)))\n"
        "    except SystemExit as exc:\n"
        "        codes.append(exc.code)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
        "print(json.dumps({'codes': codes, 'heavy': heavy[:5]}))\n"
    )


def test_help_does_not_load_tensorflow(fresh_python):
    """``handdigits --help`` and usage errors must answer without importing TensorFlow."""
    result = _exit_codes_in_a_fresh_process(fresh_python, ["--help"], ["--version"], ["frobnicate"], ["predict", "--help"])
    assert result["codes"] == [0, 0, 2, 0]
    assert result["heavy"] == []


def test_benchmark_model_names():
    from handdigits.cli import _named_path

    assert _named_path("small=runs/seed/model.keras") == ("small", "runs/seed/model.keras")
    assert _named_path("runs/seed/model.keras") == ("runs/seed/model.keras", "runs/seed/model.keras")
    # an '=' inside a path is not a name
    assert _named_path("runs/a=b/model.keras") == ("runs/a=b/model.keras", "runs/a=b/model.keras")


# --------------------------------------------------------------------------- one-line errors and exit codes
#
# Each expected failure is one line on stderr, "handdigits <command>: error: <message>"; exit status 2 for
# usage errors (printed after the sub-command's own usage line) and 1 for failures, and no traceback.


def _lines(text: str) -> list[str]:
    return text.splitlines()


def test_missing_image_is_named_once_and_exits_1(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = _main(["predict", "nosuch.png"], capsys)
    assert (code, out) == (1, "")
    assert err == "handdigits predict: error: nosuch.png: file not found\n"


def test_directory_without_images(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    code, out, err = _main(["predict", str(tmp_path)], capsys)
    assert (code, out) == (1, "")
    assert err == f"handdigits predict: error: {tmp_path}: is a directory without image files\n"


def test_directories_are_searched_for_images(capsys, tmp_path):
    import shutil

    from handdigits.samples import list_samples

    samples = list_samples()[:3]
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    targets = [tmp_path / "a.png", tmp_path / "b" / "deep" / samples[1].name, tmp_path / "b" / samples[2].name.upper()]
    for src, dst in zip(samples, targets):
        shutil.copyfile(src, dst)
    shutil.copyfile(samples[0], tmp_path / ".hidden" / "x.png")
    (tmp_path / "readme.txt").write_text("skip me")
    code, out, err = _main(["predict", "--json", str(tmp_path)], capsys)
    assert (code, err) == (0, "")
    records = json.loads(out)
    assert [r["image"] for r in records] == sorted(str(t) for t in targets)  # sorted, recursive, hidden skipped
    assert all(r["error"] is None and 0 <= r["digit"] <= 9 for r in records)


def test_empty_stdin_is_a_one_line_failure(capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    code, out, err = _main(["predict", "-"], capsys)
    assert (code, out) == (1, "")
    assert err == "handdigits predict: error: <stdin>: no data on standard input\n"


def _usage_error(capsys, argv) -> list[str]:
    code, out, err = _main(argv, capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"usage: handdigits {argv[0]} ")  # the sub-command's usage, not the top level's
    return _lines(err)


def test_unknown_subcommand_option_prints_that_subcommands_usage(capsys):
    lines = _usage_error(capsys, ["demo", "--no-such-option"])
    assert lines == ["usage: handdigits demo [-h] [--model PATH]",
                     "handdigits demo: error: unrecognized arguments: --no-such-option"]


def test_unknown_predict_option_prints_predict_usage(capsys):
    lines = _usage_error(capsys, ["predict", "x.png", "--bogus"])
    assert lines[-1] == "handdigits predict: error: unrecognized arguments: --bogus"


@pytest.mark.parametrize("command", ["predict", "demo"])
def test_missing_model_file_is_a_usage_error(capsys, command, tmp_path):
    argv = [command, "--model", str(tmp_path / "nosuch.keras")] + (["x.png"] if command == "predict" else [])
    lines = _usage_error(capsys, argv)
    assert lines[-1] == f"handdigits {command}: error: --model: model file not found: '{tmp_path / 'nosuch.keras'}'"


def test_benchmark_missing_model_file_is_a_usage_error(capsys, tmp_path):
    lines = _usage_error(capsys, ["benchmark", "--model", f"mine={tmp_path}/nosuch.keras"])
    assert lines[-1] == f"handdigits benchmark: error: --model: model file not found: '{tmp_path}/nosuch.keras'"


def test_benchmark_unknown_dataset_is_a_usage_error(capsys):
    lines = _usage_error(capsys, ["benchmark", "--datasets", "nosuch"])
    assert lines[-1].startswith("handdigits benchmark: error: argument --datasets: invalid choice: 'nosuch'")


def test_benchmark_missing_data_dir_is_a_usage_error(capsys, tmp_path):
    lines = _usage_error(capsys, ["benchmark", "--data-dir", str(tmp_path / "nosuch")])
    assert lines[-1] == f"handdigits benchmark: error: --data-dir: not a directory: '{tmp_path / 'nosuch'}'"


def test_predict_top_k_out_of_range_is_a_usage_error(capsys):
    lines = _usage_error(capsys, ["predict", "x.png", "--top-k", "11"])
    assert lines[-1] == "handdigits predict: error: --top-k must be between 1 and 10, got 11"


def test_stdin_twice_is_a_usage_error(capsys):
    lines = _usage_error(capsys, ["predict", "-", "-"])
    assert lines[-1] == "handdigits predict: error: '-' (standard input) can be given only once"


def test_plot_without_matplotlib_fails_before_any_work(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    monkeypatch.setattr("handdigits.benchmark.benchmark", lambda **kw: pytest.fail("the benchmark must not run"))
    code, out, err = _main(["benchmark", "--plot", str(tmp_path / "chart.png")], capsys)
    assert (code, out) == (1, "")
    assert err == ("handdigits benchmark: error: --plot needs matplotlib, which is not installed: "
                   "pip install 'handdigits[plot]'\n")


def test_runtime_error_is_one_line_with_exit_1(capsys, monkeypatch):
    """A failure inside a sub-command (here: multi-line, as Keras writes them) becomes one line, exit 1."""

    def fail(**kwargs):
        raise ValueError("cannot load 'x.keras':\n  File format not supported.\n  Try again.")

    monkeypatch.setattr("handdigits.benchmark.benchmark", fail)
    code, out, err = _main(["benchmark"], capsys)
    assert (code, out) == (1, "")
    assert err == "handdigits benchmark: error: cannot load 'x.keras': File format not supported. Try again.\n"


def test_handdigits_debug_shows_the_traceback(capsys, monkeypatch):
    def fail(**kwargs):
        raise ValueError("boom")

    monkeypatch.setattr("handdigits.benchmark.benchmark", fail)
    monkeypatch.setenv("HANDDIGITS_DEBUG", "1")
    with pytest.raises(ValueError, match="boom"):
        cli.main(["benchmark"])


def test_benchmark_strict_unavailable_dataset_is_one_line(capsys, tmp_path):
    code, out, err = _main(["benchmark", "--datasets", "emnist", "--strict", "--data-dir", str(tmp_path)], capsys)
    assert (code, out) == (1, "")
    line = _lines(err)[-1]  # progress messages may come first
    assert line.startswith("handdigits benchmark: error: ") and "EMNIST" in line
    assert "Traceback" not in err


def test_benchmark_without_data_fails_with_how_to_get_mnist(capsys, tmp_path):
    code, out, err = _main(["benchmark", "--data-dir", str(tmp_path)], capsys)
    assert (code, out) == (1, "")
    last = _lines(err)[-1]
    assert last.startswith("handdigits benchmark: error: ")
    assert "load_mnist" in last and "HANDDIGITS_DATA" in last
    assert "Traceback" not in err
    assert err.count("mirror") <= 1  # the data report is not repeated per dataset


def test_usage_errors_do_not_load_tensorflow(fresh_python):
    """Usage errors are found before any model or TensorFlow is loaded."""
    result = _exit_codes_in_a_fresh_process(fresh_python, ["predict", "x.png", "--model", "nosuch.keras"],
                                            ["benchmark", "--model", "nosuch.keras"], ["predict", "nosuch.png"],
                                            ["demo", "--bogus"])
    assert result == {"codes": [2, 2, 1, 2], "heavy": []}


# --------------------------------------------------------------------------- native log noise


NOISE_LINES = (
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    b"I0000 00:00:1795900266.835091    8248 port.cc:153] oneDNN custom operations are on.\n"
    b"I0000 00:00:1795900266.835403    8248 cudart_stub.cc:31] Could not find cuda drivers on your machine.\n"
    b"E0000 00:00:1795900272.269261    8248 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error\n"
    b"2025-09-17 14:44:05.157831: I external/local_xla/xla/tsl/cuda/cudart_stub.cc:32] Could not find cuda\n"
    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
)
KEPT_LINES = (
    b"E0000 00:00:1795900272.269261    8248 some_kernel.cc:52] out of memory\n"
    b"Segmentation fault in libfoo\n"
)


@pytest.mark.parametrize("chunks", [1, 7], ids=["whole", "in-pieces"])
def test_native_log_filter_drops_only_known_noise(chunks):
    """Lines written by native code to descriptor 2 are filtered; Python's stderr and real errors pass."""
    code = (
        "import os, sys\n"
        "from handdigits._native_log import quiet_native_logs\n"
        f"data = {NOISE_LINES + KEPT_LINES!r}\n"
        f"step = -(-len(data) // {chunks})\n"
        "with quiet_native_logs():\n"
        "    for i in range(0, len(data), step):\n"
        "        os.write(2, data[i:i + step])\n"
        "    print('from python', file=sys.stderr)\n"
        "os.write(2, b'after\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert proc.returncode == 0
    lines = proc.stderr.decode().splitlines()
    assert sorted(lines[:-1]) == sorted(["from python", *KEPT_LINES.decode().splitlines()])
    assert lines[-1] == "after"


def test_native_log_filter_off_with_tf_cpp_min_log_level_0():
    code = (
        "import os\n"
        "from handdigits._native_log import quiet_native_logs\n"
        "with quiet_native_logs():\n"
        f"    os.write(2, {NOISE_LINES!r})\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, env=env)
    assert proc.stderr == NOISE_LINES


def test_predict_prints_no_tensorflow_log_lines():
    """The whole command, TensorFlow and LiteRT included, writes nothing to stderr on success."""
    from handdigits.samples import list_samples

    sample = str(list_samples()[7])
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    proc = _run([sys.executable, "-m", "handdigits", "predict", sample], env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith(f"{sample}: 7 (") and proc.stdout.endswith("%)\n")


# --------------------------------------------------------------------------- benchmark(), as the command relies on it


def test_benchmark_downloads_nothing_unless_asked():
    import inspect

    from handdigits.benchmark import benchmark

    assert inspect.signature(benchmark).parameters["download"].default is False


def test_benchmark_with_no_loadable_dataset_raises_saying_how_to_get_mnist(tmp_path):
    from handdigits.benchmark import benchmark
    from handdigits.datasets import DatasetUnavailable

    with pytest.raises(DatasetUnavailable) as info:
        benchmark(datasets=("mnist", "combined"), data_dir=tmp_path)
    message = str(info.value)
    assert message.startswith(f"nothing to evaluate: none of mnist, combined could be loaded from {tmp_path} ")
    assert "load_mnist('test', download=True)" in message and "HANDDIGITS_DATA" in message
    assert "\n" not in message
    assert not any(tmp_path.iterdir()), "nothing may be downloaded or created"


@pytest.mark.parametrize("value", ["2", "-0.1", "abc", "nan", ""])
def test_predict_min_confidence_outside_0_1_is_a_usage_error(capsys, value):
    lines = _usage_error(capsys, ["predict", "x.png", "--min-confidence", value])
    assert lines[-1] == ("handdigits predict: error: argument --min-confidence: expected 'auto' or a number from 0 "
                         f"to 1, got {value!r}")


def test_predict_min_confidence_takes_auto_and_the_ends_of_0_1():
    from handdigits.cli.predict import min_confidence_option

    assert min_confidence_option("auto") == "auto"
    assert [min_confidence_option(v) for v in ("0", "1", "0.25", "1e-3")] == [0.0, 1.0, 0.25, 0.001]
    assert type(min_confidence_option("1")) is float
