"""The one ``ngoso`` command.

Each sub-command lives in its own module under ``ngoso.commands`` and defines:

- ``HELP``: one line shown in ``ngoso --help``;
- ``NEEDS_DJANGO``: whether Django must be set up (and the database migrated) first;
- ``add_arguments(parser)``: its options;
- ``handle(args) -> int``: does the work by calling plain service functions, returns the exit code.

Commands never hold business logic themselves: they parse, call a service, print.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# name on the command line -> module under ngoso.commands
COMMANDS = {
    "demo": "demo",
    "serve": "serve",
    "migrate": "migrate",
    "import": "import_",
    "export": "export",
    "stats": "stats",
    "places": "places",
    "createuser": "createuser",
    "secret-key": "secret_key",
    "unlock": "unlock",
    "say": "say",
    "lessons": "lessons",
    "livelihoods": "livelihoods",
    "speaker": "speaker",
    "radio": "radio",
    "worker": "worker",
    "backup": "backup",
    "restore": "restore",
    "duplicates": "duplicates",
    "partitions": "partitions",
}


class CommandError(Exception):
    """A user-facing error: printed without a traceback, exit code 2."""


def setup_django(migrate: bool = True) -> None:
    """Configure Django and bring the database schema up to date."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ngoso.settings")
    import django

    django.setup()
    if migrate:
        from ngoso.core.db import ensure_migrated  # after django.setup(): it reads the models

        ensure_migrated()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ngoso",
        description="Ngõ Số — nền tảng tổ công nghệ số cộng đồng / community digital-skills platform",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"ngoso.commands.{module_name}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    module = getattr(args, "_module", None)
    if module is None:
        parser.print_help()
        return 1
    try:
        if getattr(module, "NEEDS_DJANGO", True):
            setup_django()
        return int(module.handle(args) or 0)
    except CommandError as exc:
        print(f"Lỗi / Error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a refusal by accounts.permissions: say it, as a page would with 403
        from django.core.exceptions import PermissionDenied

        if not isinstance(exc, PermissionDenied):
            raise
        print(f"Không được phép / Not allowed: {exc}", file=sys.stderr)
        return 4
    except KeyboardInterrupt:
        print("Đã dừng / Interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
