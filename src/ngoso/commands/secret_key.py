# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from django.utils.translation import gettext_lazy as _

HELP = _("generate the server's secret key (in the data directory, mode 600)")
NEEDS_DJANGO = False


def add_arguments(p):
    p.add_argument("--force", action="store_true",
                   help=_("replace an existing key (everyone logs in again)"))


def handle(args) -> int:
    import os

    from ngoso.cli import CommandError, say
    from ngoso.core.messages import Message
    from ngoso.settings import SECRET_KEY_FILE

    path = SECRET_KEY_FILE
    if path.exists() and not args.force:
        print(say(Message(_("a key already exists: %(path)s (--force to replace it)"), path=path)))
    else:
        try:
            write_secret_key(path)
        except OSError as exc:
            raise CommandError(_("cannot write %(path)s: %(exc)s"), path=path, exc=exc) from None
        print(say(Message(_("secret key written: %(path)s (chmod 600)"), path=path)))
    if os.environ.get("NGOSO_SECRET_KEY", "").strip():
        print(say(_("note: NGOSO_SECRET_KEY is set and takes precedence over this file")))
    return 0


def write_secret_key(path) -> None:
    """A new random key (Django's own generator) in ``path``, created with mode 600 and renamed into place,
    so that no reader ever sees a half-written or world-readable key."""
    import os

    from django.core.management.utils import get_random_secret_key

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(get_random_secret_key() + get_random_secret_key() + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
