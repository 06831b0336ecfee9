"""`python -m devstack up|down|status|logs|urls`: the local platform as plain processes.

Environment: TAQUILLA_HOME (state folder, default .local), TAQUILLA_<NAME>_PORT for every port,
TAQUILLA_NO_FRONTEND=1 to skip the frontend dev server.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from devstack.health import readiness
from devstack.processes import StartupError
from devstack.stack import REPO_ROOT, Ports, Stack

DEMO_ACCOUNTS_FILE = "demo-accounts.txt"


def _stack() -> Stack:
    home = Path(os.environ.get("TAQUILLA_HOME", REPO_ROOT / ".local"))
    return Stack(
        home=home, ports=Ports.from_env(), with_frontend=os.environ.get("TAQUILLA_NO_FRONTEND") != "1"
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down", "status", "logs", "urls"])
    parser.add_argument("--follow", "-f", action="store_true", help="with logs: keep following")
    args = parser.parse_args()
    try:
        stack = _stack()
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "up":
        try:
            stack.up()
        except (StartupError, subprocess.CalledProcessError) as exc:
            print(
                f"\nerror: {exc}\nFix the cause and run `make up` again; `make down` stops what started.",
                file=sys.stderr,
            )
            return 1
        print("\nTaquilla is running:\n" + stack.urls())
        accounts = stack.home / DEMO_ACCOUNTS_FILE
        if accounts.exists():
            print("\nDemo accounts:\n" + accounts.read_text().rstrip())
        print("\nStop it with `make down`; follow the logs with `make logs`.")
    elif args.command == "down":
        stack.down()
        print("stopped")
    elif args.command == "status":
        state = readiness(f"http://127.0.0.1:{stack.ports.edge_internal}/readyz")
        print(f"platform: {state.get('status')}")
        for check in state.get("checks", []):
            detail = f" ({check['detail']})" if check.get("detail") else ""
            print(f"  {check['name']:<18} {check['status']}{detail}")
        return 0 if state.get("status") == "ready" else 1
    elif args.command == "urls":
        print(stack.urls())
    else:
        logs = sorted(stack.logs.glob("*.log"))
        if not logs:
            print(f"no logs yet in {stack.logs}: run `make up` first")
            return 1
        argv = ["tail", "-n", "50", *(["-F"] if args.follow else []), *map(str, logs)]
        return subprocess.call(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
