"""bench/summary.py: the medians of several runs and the verdict on each target."""

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "bench_summary", Path(__file__).resolve().parents[2] / "bench" / "summary.py"
)
summary = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(summary)


def _row(name, rps, p99, cpu, db=0.0, level=8, **extra):
    return {
        "name": name,
        "concurrency": level,
        "rps": rps,
        "p99_ms": p99,
        "server_cpu_ms": cpu,
        "database_cpu_ms": db,
        "errors": 0,
        **extra,
    }


def _report(*rows):
    return {"database": "postgresql", "results": list(rows)}


REPORTS = [
    _report(
        _row("refresh_token", 640, 18.0, 2.0, 0.3),
        _row("peer:refresh_token", 1400, 9.0, 1.2, ratio=0.457),
        _row("refresh_token", 100, 90.0, 9.0, 1.0, level=32),
        _row("introspection", 1500, 10.0, 1.0, 0.2),
        _row("healthz", 4000, 6.0, 0.4),
    ),
    _report(
        _row("refresh_token", 580, 25.0, 2.4, 0.4),
        _row("peer:refresh_token", 1300, 9.5, 1.2, ratio=0.446),
        _row("introspection", 2100, 9.0, 0.8, 0.1),
        _row("healthz", 3100, 8.0, 0.5),
    ),
    _report(
        _row("refresh_token", 700, 19.0, 2.1, 0.3),
        _row("peer:refresh_token", 1500, 8.0, 1.1, ratio=0.467),
        _row("introspection", 1900, 11.0, 0.9, 0.2),
    ),
]


def test_it_takes_each_figure_s_median_at_one_concurrency():
    figures = summary.medians(REPORTS)

    assert figures["refresh_token"]["rps"] == 640
    assert figures["refresh_token"]["p99_ms"] == 19.0
    assert figures["refresh_token"]["cpu_ms"] == pytest.approx(2.4)  # of 2.3, 2.8, 2.4
    assert figures["refresh_token"]["runs"] == 3
    assert figures["refresh_token"]["ratio"] == 0.457
    assert figures["refresh_token"]["peer_rps"] == 1400
    assert figures["introspection"]["rps"] == 1900


def test_it_judges_every_measured_target_on_the_medians():
    judged = {
        (target["scenario"], target["figure"]): target
        for target in summary.summarize(REPORTS)["targets"]
    }

    assert judged["refresh_token", "rps"]["met"] is True
    assert judged["refresh_token", "p99_ms"]["met"] is True
    assert judged["refresh_token", "cpu_ms"]["met"] is True
    assert judged["introspection", "rps"]["met"] is False
    assert judged["introspection", "rps"]["median"] == 1900
    assert ("authorization_code", "rps") not in judged  # not measured: no verdict


def test_it_prints_the_medians_and_the_verdicts(capsys):
    summary.print_summary(summary.summarize(REPORTS))

    printed = capsys.readouterr().out
    assert "medians of 3 run(s) at c=8 (postgresql)" in printed
    assert "NOT met" in printed


def test_it_shows_each_run_s_weather_beside_the_medians(capsys):
    weather = summary.summarize(REPORTS)["weather"]

    assert [run["healthz_rps"] for run in weather] == [4000, 3100, None]
    assert [run["peer_cpu_ms"] for run in weather] == [
        {"refresh_token": 1.2},
        {"refresh_token": 1.2},
        {"refresh_token": 1.1},
    ]
    summary.print_summary(summary.summarize(REPORTS))
    printed = capsys.readouterr().out
    assert "  run 2: /healthz 3100/s; refresh_token 1.20" in printed
    assert "  run 3: /healthz -; refresh_token 1.10" in printed
