from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ngoso.core.messages import Message, both

from . import permissions
from .models import Role, User
from .validators import DEMO_PASSWORD


def password_problems(password: str, user: User | None = None) -> list[str]:
    """What is wrong with a new password, by the validators of settings.AUTH_PASSWORD_VALIDATORS (the same
    ones the admin and the change-password page use), each as "Vietnamese / English". Empty: acceptable."""
    def messages(language: str) -> list[str]:
        with translation.override(language):  # the validators translate when they raise
            try:
                validate_password(password, user)
            except ValidationError as exc:
                return list(exc.messages)
        return []

    vi = messages("vi")
    if not vi:
        return []
    en = messages("en")
    return [f"{v} / {e}" if v != e else v for v, e in zip(vi, en)]


def create_user(username: str, password: str, role: str, place, *, by) -> User:
    """Make a user of ``role`` bound to ``place``. ``by`` is the user making it — who may, in which area and of
    which role, is ``User.WRITE_ROLES`` with ``User.write_refusal`` (``accounts.permissions``) — or a
    ``"system:…"`` name: the server's operator (``ngoso createuser`` without ``--user``, the first account)."""
    if role not in Role.values:
        raise ValueError(both(Message(_("unknown role: %(role)s"), role=role)))
    user = User(username=username, role=role, place=place, is_staff=role == Role.PROVINCE_ADMIN,
                is_superuser=role == Role.PROVINCE_ADMIN)
    _require(by, "create", user)
    if User.objects.filter(username=username).exists():
        raise ValueError(both(Message(_("user '%(username)s' exists"), username=username)))
    problems = password_problems(password, user)
    if problems:
        raise ValueError("; ".join(problems))
    user.set_password(password)
    user.save()
    audit_password_set(user, by=by, how="created")
    return user


def set_password(user: User, password: str, *, by, how: str = "reset") -> None:
    """Give ``user`` a new password: validated, then audited. ``by`` is who sets it — the user themself, or
    someone ``accounts.permissions`` lets change that user (``User.WRITE_ROLES``, ``write_refusal``) — or a
    ``"system:…"`` name (``ngoso createuser --reset-password`` without ``--user``: the server's operator)."""
    if not (isinstance(by, User) and by.pk == user.pk):
        _require(by, "change", user)
    problems = password_problems(password, user)
    if problems:
        raise ValueError("; ".join(problems))
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_password_set(user, by=by, how=how)


def _require(by, action: str, user: User) -> None:
    """``permissions.require`` for a person; the system (a ``"system:…"`` name) acts on the server itself."""
    if isinstance(by, str) and by.startswith("system:"):
        return
    permissions.require(by, action, user)


def audit_password_set(user: User, by=None, how: str = "") -> None:
    """An audit entry that a password was set (never the password or its hash)."""
    from . import audit
    from .models import AuditEntry

    def write():
        audit.record_event(AuditEntry.Action.UPDATE, "accounts.User",
                           user.place.path if user.place_id else "",
                           {"password": how or "changed"}, object_repr=user.username)

    if by is None:
        write()
    else:
        with audit.acting_as(by):
            write()


# The logins ``ngoso demo`` makes (demo/builder.py; a test keeps the two in step).
DEMO_USERNAMES = ("tinh", "xa", "truyenthanh", "totruong", "thanhvien", "xem")


def demo_password_users() -> list[str]:
    """Active users who still log in with the demo's published password (``ngoso serve`` refuses to run).

    Only the demo's own logins are tried (each try is a slow PBKDF2 hash, and a province has thousands of
    users); no one else can be given that password: DemoPasswordValidator refuses it everywhere a password
    is set."""
    from django.contrib.auth.hashers import check_password

    candidates = User.objects.filter(is_active=True, username__in=DEMO_USERNAMES).exclude(password="")
    return sorted(username for username, encoded in candidates.values_list("username", "password")
                  if check_password(DEMO_PASSWORD, encoded))
