"""Who a background job acts for: the one rule its handler applies before doing anything.

A job is queued by a user in a request (``core.jobs.submit``) and run later by a worker, when the user may have
been switched off, lost their role, or the place may be gone. Its params carry ``user_id`` and, for work on an
area, ``place`` (a place code). Each handler asks here, with the message its own users read (a lazy msgid of
its app), instead of writing the same lookups again.
"""

from __future__ import annotations

from ngoso.core.jobs import KIND_PERMISSION, JobError
from ngoso.places.models import Place

from .models import User
from .scope import can_see_place


def job_user(job, gone) -> User:
    """The active user the job's params name (``user_id``), or ``JobError(gone)`` when there is none any more."""
    user = User.objects.filter(pk=job.params.get("user_id"), is_active=True).first()
    if user is None:
        raise JobError(gone)
    return user


def job_user_and_place(job, gone, refused=None) -> tuple[User, Place]:
    """The active user and the place (``place``, a code) the job's params name, or ``JobError(gone)`` when either
    no longer exists. With ``refused``: ``JobError(refused)`` unless the user still holds the permission the job's
    kind declares (``core.jobs.handler(kind, permission=…)``) and still sees the place."""
    user = job_user(job, gone)
    place = Place.objects.filter(code=job.params.get("place")).first()
    if place is None:
        raise JobError(gone)
    if refused is not None:
        permission = KIND_PERMISSION.get(job.kind)
        if permission is None or not user.can(permission) or not can_see_place(user, place):
            raise JobError(refused)
    return user, place
