"""The figures a test run ends with (tests/figures.py): counted by the tests, printed at the end."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.figures import LABELS, Figures

ROOT = Path(__file__).resolve().parents[2]


def test_figures_add_up_and_read_as_one_line():
    counts = Figures()
    counts.add("url_role_cases", 40)
    counts.add("url_role_cases", 2)
    counts.add("fault_scenarios")
    counts.add("axe_violations", 0)
    assert counts["url_role_cases"] == 42
    assert counts.summary_line() == (
        "MSO Network figures: URL × role cases checked: 42; bad inputs tried: 0; fault scenarios survived: 1; "
        "pages checked by axe: 0; violations found: 0"
    )


@pytest.mark.parametrize(("key", "n"), [("url_cases", 1), ("bad_inputs", -1), ("bad_inputs", 1.5), ("axe_pages", True)])
def test_figures_refuse_an_unknown_counter_or_a_count_that_is_not_a_whole_number(key, n):
    counts = Figures()
    with pytest.raises((KeyError, ValueError)):
        counts.add(key, n)
    assert set(counts.as_dict().values()) == {0}
    assert set(counts.as_dict()) == set(LABELS)


def test_a_test_run_ends_by_printing_the_figures_its_tests_counted(tmp_path):
    (tmp_path / "test_counting.py").write_text(
        "from tests.figures import figures\n\n"
        "def test_one():\n    figures.add('bad_inputs', 3)\n\n"
        "def test_two():\n    figures.add('bad_inputs', 4)\n    figures.add('axe_pages')\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.figures", "-p", "no:django", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[-1].startswith("2 passed")
    assert (
        "MSO Network figures: URL × role cases checked: 0; bad inputs tried: 7; fault scenarios survived: 0; "
        "pages checked by axe: 1; violations found: 0"
    ) in lines


def test_a_run_in_several_processes_prints_the_figures_of_all_of_them(tmp_path):
    for name, n in (("test_first.py", 3), ("test_second.py", 4)):
        (tmp_path / name).write_text(
            f"from tests.figures import figures\n\ndef test_counts():\n    figures.add('bad_inputs', {n})\n"
        )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.figures", "-p", "no:django", "-p", "no:cacheprovider", "-q"]
        + ["-n", "2", "--dist", "loadfile"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "bad inputs tried: 7;" in run.stdout, run.stdout
