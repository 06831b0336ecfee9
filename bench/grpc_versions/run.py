"""Measures grpc.aio unary throughput of several grpcio releases in one run, on this machine.

    uv run python bench/grpc_versions/run.py [--versions 1.75.0 1.83.2 1.85.1] [--rounds 3] [--seconds 8]

Each version gets its own venv (uv). Rounds are interleaved (A B C A B C ...) so drift in the
machine's load affects every version alike; the median of the rounds is reported, as calls per
second and as a ratio to the first version. The result is appended to docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PAIR = HERE / "rpc_pair.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def venv_for(version: str, root: Path) -> Path:
    venv = root / f"grpcio-{version}"
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"  creating a venv with grpcio=={version}", flush=True)
        subprocess.run(["uv", "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        subprocess.run(
            ["uv", "pip", "install", "-q", "--python", str(python), f"grpcio=={version}"], check=True
        )
    return python


def one_round(python: Path, seconds: float, concurrency: int) -> dict[str, float]:
    port = free_port()
    server = subprocess.Popen([str(python), str(PAIR), "serve", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise RuntimeError("the benchmark server did not start")
        result = subprocess.run(
            [str(python), str(PAIR), "load", str(port), str(seconds), str(concurrency)],
            check=True,
            capture_output=True,
            text=True,
        )
        data: dict[str, float] = json.loads(result.stdout)
        return data
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", nargs="+", default=["1.75.0", "1.83.2", "1.85.1"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument(
        "--venvs", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "taquilla-grpc-bench"
    )
    parser.add_argument("--no-record", action="store_true", help="do not append to docs/performance.md")
    args = parser.parse_args()
    pythons = {v: venv_for(v, args.venvs) for v in args.versions}
    rps: dict[str, list[float]] = {v: [] for v in args.versions}
    p99: dict[str, list[float]] = {v: [] for v in args.versions}
    for round_no in range(1, args.rounds + 1):
        for version in args.versions:
            result = one_round(pythons[version], args.seconds, args.concurrency)
            rps[version].append(result["calls"] / result["seconds"])
            p99[version].append(result["p99_ms"])
            print(
                f"  round {round_no}/{args.rounds} grpcio {version}: {rps[version][-1]:,.0f} calls/s, "
                f"p99 {result['p99_ms']:.1f} ms",
                flush=True,
            )
            time.sleep(0.5)
    baseline = statistics.median(rps[args.versions[0]])
    lines = [
        f"### grpc.aio unary throughput by grpcio release ({dt.date.today().isoformat()})",
        "",
        f"Machine: {platform.node() or 'unknown'}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.platform()}. "
        "Command: `uv run python bench/grpc_versions/run.py` "
        f"({args.rounds} interleaved rounds of {args.seconds:g} s, {args.concurrency} concurrent calls, "
        "client and server in separate processes on loopback, empty payloads).",
        "",
        f"| grpcio | median calls/s | ratio to {args.versions[0]} | median p99 (ms) | rounds (calls/s) |",
        "|---|---|---|---|---|",
    ]
    for version in args.versions:
        median = statistics.median(rps[version])
        rounds = ", ".join(f"{value:,.0f}" for value in rps[version])
        p99_median = statistics.median(p99[version])
        lines.append(f"| {version} | {median:,.0f} | {median / baseline:.3f} | {p99_median:.1f} | {rounds} |")
    report = "\n".join(lines) + "\n"
    print("\n" + report)
    if not args.no_record:
        performance = REPO / "docs" / "performance.md"
        if not performance.exists():
            performance.write_text(
                "# Performance\n\nFigures measured on this project's machines by the harnesses "
                "in `bench/`, newest last. Each section says how it was measured.\n"
            )
        with performance.open("a") as out:
            out.write("\n" + report)
        print(f"appended to {performance.relative_to(REPO)}")


if __name__ == "__main__":
    main()
