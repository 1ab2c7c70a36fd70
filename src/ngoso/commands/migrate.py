# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from django.utils.translation import gettext_lazy as _

HELP = _("create or upgrade the database schema")
NEEDS_DJANGO = False


def add_arguments(p):
    pass


def handle(args) -> int:
    from ngoso.cli import say, setup_django

    setup_django(migrate=False)
    from ngoso.core.db import ensure_migrated

    ran = ensure_migrated(verbosity=1)
    print(say(_("migrated") if ran else _("up to date")))
    return 0
