"""The original's database tool, kept so documented commands still work.

    python dbm.py                                   # create or upgrade the tables
    python dbm.py --addqueuetoken X --addworkertoken Y

It is a thin shim over ``patchwork db upgrade`` and ``patchwork tokens add``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

import click

from patchwork.cli import cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--addqueuetoken", metavar="TOKEN", help="add a queue token")
    parser.add_argument("--addworkertoken", metavar="TOKEN", help="add a worker token")
    args = parser.parse_args(argv)
    commands = [["db", "upgrade"]]
    if args.addqueuetoken:
        commands.append(["tokens", "add", "--role", "queue", "--token", args.addqueuetoken])
    if args.addworkertoken:
        commands.append(["tokens", "add", "--role", "worker", "--token", args.addworkertoken])
    for command in commands:
        try:
            cli.main(command, prog_name="patchwork", standalone_mode=False)
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
        except SystemExit as exc:
            if exc.code:
                return int(exc.code) if isinstance(exc.code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
