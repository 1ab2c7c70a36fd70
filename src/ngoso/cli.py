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

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from ngoso.core.messages import Message, UserError, both, lines, reason

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


class CommandError(UserError):
    """A user-facing error (one msgid): printed without a traceback, in Vietnamese then English, exit code 2."""


def import_failed(exc) -> CommandError:
    """How a command says a rejected file (``people.io.ImportFailed``: nothing was written): the count, then
    each row's place and error, all in the language of the line (Vietnamese lines, then English ones)."""
    errors = exc.errors  # the name ``exc`` is gone when the message is rendered
    return CommandError(ngettext_lazy("%(n)s error, nothing imported:%(rows)s", "%(n)s errors, nothing imported:%(rows)s",
                                      "n"), n=len(errors),
                        rows=lambda: "".join(f"\n  {e.located()}" for e in errors))


def say(message) -> str:
    """How the CLI says a message: its Vietnamese line, then its English line, both from the one msgid
    (docs/ARCHITECTURE.md, "How to say a user message"). Django is set up first if a command had not."""
    from django.apps import apps

    if not apps.ready:
        setup_django(migrate=False)
    return lines(message)


def setup_django(migrate: bool = True) -> None:
    """Configure Django and bring the database schema up to date."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ngoso.settings")
    import django

    django.setup()
    if migrate:
        from ngoso.core.db import ensure_migrated  # after django.setup(): it reads the models

        ensure_migrated()


def _ready() -> None:
    """Enough Django to say the help's msgids: when the settings are not loaded yet, only the project's catalogue
    (``locale/``, where the CLI's msgids live) — no settings module, so ``ngoso --help`` creates no data
    directory and opens no database. Help is printed and the process exits, so nothing else runs on this."""
    from pathlib import Path

    import django
    from django.apps import apps
    from django.conf import settings

    if apps.ready:
        return
    if not settings.configured:
        settings.configure(USE_I18N=True, LANGUAGE_CODE="vi", LANGUAGES=[("vi", "Tiếng Việt"), ("en", "English")],
                           LOCALE_PATHS=[Path(__file__).parent / "locale"], INSTALLED_APPS=[])
    django.setup()


def _said(text) -> str:
    """A help text of the parser: a lazy msgid said in both languages ("vi / en", argparse folds lines); any
    other text as it is."""
    return both(text) if isinstance(text, Promise) else text


class _Formatter(argparse.HelpFormatter):
    """Renders lazy msgids (``HELP``, ``help=_(...)``, descriptions) only when help is printed."""

    def _format_text(self, text):
        return super()._format_text(_said(text))

    def _get_help_string(self, action):
        return _said(action.help)


class Parser(argparse.ArgumentParser):
    """``ngoso``'s parser: help texts are gettext msgids, rendered on demand (sub-command parsers too)."""

    def __init__(self, *args, formatter_class=_Formatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def format_help(self):
        _ready()  # Django set up only when help is shown: its catalogues say the msgids
        return super().format_help()


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="ngoso", description=_("Ngõ Số — community digital-skills platform"))
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
        print(say(Message(_("Error: %(message)s"), message=exc.message)), file=sys.stderr)
        return 2
    except Exception as exc:  # a refusal by accounts.permissions: say it, as a page would with 403
        from django.core.exceptions import PermissionDenied

        if not isinstance(exc, PermissionDenied):
            raise
        print(say(Message(_("Not allowed: %(message)s"), message=lambda: reason(exc))), file=sys.stderr)
        return 4
    except KeyboardInterrupt:
        print(say(_("Interrupted")), file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
