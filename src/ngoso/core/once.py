"""A create form sent twice — browser Back after Save, then Save again — stores one record (issue 18).

The form carries a token (``once``) in an input of type text that is not shown and that the page's script
(``static/ngoso/site.js``) fills with a random UUID when it is empty:
``<input type="text" name="once" value="{{ once }}" data-once hidden tabindex="-1" aria-hidden="true">``.
The pages are not cached (no-store), so Back fetches the form again; the browser then puts back what the page's
inputs held, this token too (a value the server wrote would be the new page's: browsers keep only what changed).
The view asks ``already(request)`` before saving, and after a save ``remember(request, url)`` keeps, in the
session, where the save led; the same token sent again goes there and saves nothing. ``token(request)`` is the
token a form shown again after an error keeps. For forms whose record has no UUID of its own; a record that has
one (a visit, a household, a move-in request) takes the same input as its UUID.
"""

from __future__ import annotations

SESSION_KEY = "ngoso_once"
KEEP = 50  # the last forms saved in this session


def token(request) -> str:
    """The token a form shown again after an error keeps; empty for a new form (the page's script makes one)."""
    sent = request.POST.get("once", "") if request.method == "POST" else ""
    return sent if 8 <= len(sent) <= 64 else ""


def already(request) -> str | None:
    """Where the first save of this very form led, if it was saved already."""
    sent = request.POST.get("once", "")
    return request.session.get(SESSION_KEY, {}).get(sent) if sent else None


def remember(request, url: str) -> None:
    sent = request.POST.get("once", "")
    if not sent:
        return
    saved = dict(request.session.get(SESSION_KEY, {}))
    saved[sent] = str(url)
    request.session[SESSION_KEY] = dict(list(saved.items())[-KEEP:])
