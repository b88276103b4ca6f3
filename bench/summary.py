"""Medians of several `make bench` runs, and where they stand against the targets.

    python bench/summary.py bench/results/<run 1>.json bench/results/<run 2>.json ...

``bench/run.py --runs 3`` (``BENCH_RUNS=3 make bench``) runs the suite three times in a row and
prints this at the end. Each figure is the median of its own column over the runs (req/s, p99,
CPU per request); a ratio to oidc-provider is taken within each run, where both met the same
weather, and then its median. ``/healthz`` is printed as the machine's floor of the day: the
targets are absolute, and the same code measures up to twice as fast on a quiet machine as on a
busy one (docs/performance.md).
"""

import json
import operator
import statistics
import sys
from pathlib import Path

LEVEL = 8

# The targets of docs/performance.md ("Against the targets"), at c=8 on PostgreSQL.
# (scenario, figure, comparison, bound); "cpu_ms" is the workers' and the database's together.
TARGETS = [
    ("client_credentials_rs256", "rps", ">=", 1500),
    ("client_credentials_rs256", "p99_ms", "<", 20),
    ("client_credentials_es256", "rps", ">=", 2500),
    ("refresh_token", "rps", ">=", 600),
    ("refresh_token", "cpu_ms", "<=", 2.5),
    ("refresh_token", "p99_ms", "<", 20),
    ("authorization_code", "rps", ">=", 500),
    ("authorization_code", "cpu_ms", "<=", 2.5),
    ("authorization_code", "p99_ms", "<", 20),
    ("introspection", "rps", ">=", 2000),
    ("introspection", "p99_ms", "<", 20),
    ("userinfo", "rps", ">=", 2000),
    ("userinfo", "p99_ms", "<", 20),
    ("discovery", "rps", ">=", 4000),
    ("jwks", "rps", ">=", 4000),
]
_HOLDS = {">=": operator.ge, "<": operator.lt, "<=": operator.le}


def medians(reports: list[dict], level: int = LEVEL) -> dict[str, dict]:
    """Per scenario at ``level``: the median of each figure over the reports that have it."""
    figures: dict[str, dict[str, list[float]]] = {}
    for report in reports:
        for row in report["results"]:
            if row.get("concurrency") != level:
                continue
            columns = figures.setdefault(row["name"], {})
            cpu = row["server_cpu_ms"] + row["database_cpu_ms"]
            values = {
                "rps": row["rps"],
                "p99_ms": row["p99_ms"],
                "server_cpu_ms": row["server_cpu_ms"],
                "database_cpu_ms": row["database_cpu_ms"],
                "cpu_ms": cpu,
            }
            for key, value in values.items():
                columns.setdefault(key, []).append(value)
            if "ratio" in row:  # on the peer's row: ours over its, in this run
                ours = figures.setdefault(row["name"].removeprefix("peer:"), {})
                ours.setdefault("ratio", []).append(row["ratio"])
                ours.setdefault("peer_rps", []).append(row["rps"])
    return {
        name: {key: statistics.median(values) for key, values in columns.items()}
        | {"runs": len(columns["rps"])}
        for name, columns in figures.items()
    }


def verdicts(figures: dict[str, dict]) -> list[dict]:
    """Each target with the median it is judged on; a scenario not measured is left out."""
    judged = []
    for scenario, figure, comparison, bound in TARGETS:
        if scenario not in figures:
            continue
        value = figures[scenario][figure]
        judged.append(
            {
                "scenario": scenario,
                "figure": figure,
                "target": f"{comparison} {bound}",
                "median": round(value, 2),
                "met": _HOLDS[comparison](value, bound),
            }
        )
    return judged


def weather(reports: list[dict], level: int = LEVEL) -> list[dict]:
    """Per run, what tells a busy machine from a slower commit: the ``/healthz`` rate and
    oidc-provider's CPU per request, which nothing in this repository changes. On a machine
    shared with other work, both move from one run to the next, and ours with them."""
    found = []
    for report in reports:
        rows = [row for row in report["results"] if row.get("concurrency") == level]
        found.append(
            {
                "healthz_rps": next((r["rps"] for r in rows if r["name"] == "healthz"), None),
                "peer_cpu_ms": {
                    row["name"].removeprefix("peer:"): row["server_cpu_ms"]
                    for row in rows
                    if row["name"].startswith("peer:")
                },
            }
        )
    return found


def summarize(reports: list[dict], level: int = LEVEL) -> dict:
    figures = medians(reports, level)
    return {
        "runs": len(reports),
        "concurrency": level,
        "databases": sorted({report["database"] for report in reports}),
        "medians": figures,
        "weather": weather(reports, level),
        "targets": verdicts(figures),
    }


def print_summary(summary: dict) -> None:
    print(
        f"\nmedians of {summary['runs']} run(s) at c={summary['concurrency']}"
        f" ({', '.join(summary['databases'])})"
    )
    header = (
        f"{'scenario':<34}{'req/s':>9}{'p99 ms':>9}{'cpu ms':>9}{'db cpu ms':>11}"
        f"{'peer req/s':>12}{'ours/peer':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, figure in summary["medians"].items():
        if name.startswith("peer:"):
            continue
        ratio = f"{figure['peer_rps']:>12.0f}{figure['ratio']:>11.2f}" if "ratio" in figure else ""
        print(
            f"{name:<34}{figure['rps']:>9.0f}{figure['p99_ms']:>9.1f}"
            f"{figure['server_cpu_ms']:>9.2f}{figure['database_cpu_ms']:>11.2f}{ratio}"
        )
    floor = summary["medians"].get("healthz")
    if floor:
        print(f"the machine's floor: /healthz {floor['rps']:.0f}/s")
    if summary["runs"] > 1:
        print("each run's weather (/healthz; oidc-provider's CPU ms per request):")
        for number, run in enumerate(summary["weather"], start=1):
            healthz = f"{run['healthz_rps']:.0f}/s" if run["healthz_rps"] else "-"
            peer = ", ".join(f"{name} {cpu:.2f}" for name, cpu in run["peer_cpu_ms"].items())
            print(f"  run {number}: /healthz {healthz}; {peer or 'no peer'}")
    print("\ntargets (docs/performance.md), on the medians above:")
    for target in summary["targets"]:
        verdict = "met" if target["met"] else "NOT met"
        print(
            f"  {target['scenario']:<28}{target['figure']:<8}{target['target']:>8}"
            f"{target['median']:>10}  {verdict}"
        )


def main(paths: list[str]) -> None:
    if not paths:
        sys.exit(__doc__.splitlines()[2].strip())
    reports = [json.loads(Path(path).read_text()) for path in paths]
    print_summary(summarize(reports))


if __name__ == "__main__":
    main(sys.argv[1:])
