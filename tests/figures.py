"""The figures a test run ends with: what the suite checked, counted by the tests themselves.

A test adds to a counter once the thing it counts has been checked:

    from tests.figures import figures

    figures.add("url_role_cases", len(cases))

Registered as a pytest plugin in tests/conftest.py; at the end of the run it prints one line,
"MSO Network figures: URL × role cases checked: N; bad inputs tried: N; fault scenarios
survived: N; pages checked by axe: N; violations found: N". It also registers the `slow` marker
of the tests that start processes of their own.
"""

from __future__ import annotations

import threading

import pytest

# Each counter and how the summary line names it, in the order it prints them.
LABELS = {
    "url_role_cases": "URL × role cases checked",
    "bad_inputs": "bad inputs tried",
    "fault_scenarios": "fault scenarios survived",
    "axe_pages": "pages checked by axe",
    "axe_violations": "violations found",
}


class Figures:
    """Counters for one test run. Safe to add to from the threads a test starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._counts = dict.fromkeys(LABELS, 0)

    def add(self, key: str, n: int = 1) -> None:
        """Add `n` (a whole number, 0 or more) to the counter `key`, one of LABELS."""
        if key not in LABELS:
            raise KeyError(f"Unknown figure {key!r}: use one of {', '.join(LABELS)}.")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"A figure grows by a whole number of 0 or more, not {n!r}.")
        with self._lock:
            self._counts[key] += n

    def __getitem__(self, key: str) -> int:
        return self._counts[key]

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def summary_line(self) -> str:
        counts = self.as_dict()
        return "MSO Network figures: " + "; ".join(f"{label}: {counts[key]}" for key, label in LABELS.items())


figures = Figures()


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "slow: starts processes of its own (redis-server, Celery workers); deselect with -m 'not slow'"
    )


def pytest_sessionstart(session) -> None:
    figures.reset()


def pytest_sessionfinish(session) -> None:
    """In a pytest-xdist worker: hand the counts to the controller, which adds them up."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["msonet_figures"] = figures.as_dict()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """In the pytest-xdist controller: a worker's counts, added to the run's."""
    for key, n in getattr(node, "workeroutput", {}).get("msonet_figures", {}).items():
        figures.add(key, n)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    terminalreporter.write_sep("-", "MSO Network figures")
    terminalreporter.write_line(figures.summary_line())
