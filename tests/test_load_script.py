"""The pure helpers of benchmarks/load.py: percentiles, the table rows and the verdict (no database, no server)."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "load.py"


@pytest.fixture(scope="module")
def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("load_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_percentile_is_nearest_rank(load: ModuleType) -> None:
    values = [float(n) for n in range(1, 101)]
    assert load.percentile(values, 50) == 50
    assert load.percentile(values, 95) == 95
    assert load.percentile(values, 100) == 100
    assert load.percentile([7.0], 99) == 7
    assert load.percentile([], 95) == 0


def test_summary_has_a_row_per_page_then_pages_then_total(load: ModuleType) -> None:
    samples = [("login", 900.0, False, 10.0), ("home", 100.0, False, 5.0), ("home", 300.0, True, 11.0),
               ("register", 50.0, False, 12.0)]
    rows = {row["name"]: row for row in load.summarise(samples)}
    assert list(rows) == ["home", "login", "register", load.PAGES, load.STEADY, "total"]
    assert rows["home"] == {"name": "home", "requests": 2, "failures": 1, "median": 100.0, "p95": 300.0,
                            "p99": 300.0, "max": 300.0}
    assert rows[load.PAGES]["requests"] == 3  # the sign-in POST is left out
    assert rows[load.STEADY]["requests"] == 2  # the pages that ended after the last sign-in
    assert rows["total"]["max"] == 900


def test_verdict_holds_pages_but_not_the_sign_in_to_the_p95_limit(load: ModuleType) -> None:
    fast = [("home", 100.0, False, 1.0)] * 20 + [("login", 2000.0, False, 0.0)] * 5
    assert load.verdict(load.summarise(fast)) == (True, [])
    slow = fast + [("analytics", 900.0, False, 1.0)] * 5
    passed, reasons = load.verdict(load.summarise(slow))
    assert not passed
    assert "analytics: p95 900 ms" in reasons
    failed = fast + [("home", 50.0, True, 1.0)]
    passed, reasons = load.verdict(load.summarise(failed))
    assert not passed
    assert reasons == ["home: 1 failures"]


def test_table_lines_up(load: ModuleType) -> None:
    text = load.table(load.summarise([("home", 120.0, False, 1.0)]))
    lines = text.splitlines()
    assert lines[0].split() == ["page", "requests", "failures", "median", "p95", "p99", "max"]
    assert len({len(line) for line in lines}) == 1
