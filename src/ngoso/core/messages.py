"""One way to say a user message: a gettext msgid in English with named ``%(x)s`` parameters, translated to
Vietnamese in the owning app's ``locale/vi/LC_MESSAGES/django.po``.

``Message(msgid, **params)`` is such a message not yet rendered; ``UserError(message, *, field=None,
code=None, **params)`` is the base of every error class whose text a user reads (each app's error derives
from it). Both render on demand in any language with ``.text(lang)`` (the active language when ``lang`` is
None); ``.vi`` and ``.en`` are the same one msgid rendered in Vietnamese and in English, for the callers that
send both (the API's ``message``/``message_en``, the sync protocol, the CLI). ``str()`` of either is the two
renderings joined by " / " (logs, tracebacks and older callers); pages show ``.text()``.

Raise with a lazy msgid, never an f-string inside it::

    from django.utils.translation import gettext_lazy as _
    raise VisitError(_("'%(field)s' must be a date (YYYY-MM-DD)"), field="visited_on")

``core`` knows no domain app: this module imports only Django.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.functional import Promise

__all__ = ["Message", "UserError", "ByLanguage", "render", "both", "lines", "reason", "grouped"]


class ByLanguage:
    """A parameter that is data kept in each language (a skill's or a place type's name from a catalogue
    file), rendered in the message's language; Vietnamese when the language has none."""

    __slots__ = ("texts",)

    def __init__(self, **texts: str):
        self.texts = texts

    def text(self, lang: str | None = None) -> str:
        lang = (lang or translation.get_language() or "vi")[:2]
        return str(self.texts.get(lang, self.texts.get("vi", "")))

    __str__ = text


def render(value, lang: str | None = None) -> str:
    """A message, a lazy msgid, a callable, or any value as text in ``lang`` (None: the active language)."""
    if lang is not None:
        with translation.override(lang):
            return render(value)
    if isinstance(value, (Message, UserError, ByLanguage)):
        return value.text()
    if isinstance(value, Promise):
        return str(value)
    if callable(value):  # made in the message's language: ``lambda: number_format(n, force_grouping=True)``
        return render(value())
    return "" if value is None else str(value)


def grouped(n, decimals: int | None = None):
    """A number as a message parameter, its thousands grouped (and its decimal mark) in the message's language:
    "1.234,5" in Vietnamese, "1,234.5" in English."""
    from django.utils.formats import number_format

    return lambda: number_format(n, decimals, force_grouping=True)


def _format(msgid, params: dict) -> str:
    if isinstance(msgid, Promise) and params:  # a lazy plural (ngettext_lazy(..., "n")) picks its form from params
        return msgid % {k: _param(v) for k, v in params.items()}
    text = str(msgid) if isinstance(msgid, Promise) else translation.gettext(msgid)
    if not params:
        return text
    return text % {k: _param(v) for k, v in params.items()}


def _param(value):
    """Numbers stay numbers (``%(n)d``, ``%(mb).1f``); messages, lazy texts and callables are rendered."""
    if isinstance(value, (Message, UserError, ByLanguage, Promise)) or callable(value):
        return render(value)
    return value


class Message:
    """A msgid and its parameters, rendered in the language asked for (parameters that are messages or lazy
    msgids are rendered in the same language)."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid, **params):
        if isinstance(msgid, Message):
            msgid, params = msgid.msgid, {**msgid.params, **params}
        self.msgid, self.params = msgid, params

    def text(self, lang: str | None = None) -> str:
        if lang is not None:
            with translation.override(lang):
                return _format(self.msgid, self.params)
        return _format(self.msgid, self.params)

    @property
    def vi(self) -> str:
        return self.text("vi")

    @property
    def en(self) -> str:
        return self.text("en")

    def __str__(self) -> str:
        return both(self)

    def __repr__(self) -> str:
        return f"Message({self.en!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Message) and (self.en, self.vi) == (other.en, other.vi)

    __hash__ = None


def reason(exc: BaseException, lang: str | None = None) -> str:
    """What an exception says, in ``lang`` (None: the active language): a ``UserError``'s message, or the
    ``Message``/lazy msgid it was raised with (``PermissionDenied(Message(...))``), else its text as it is."""
    if isinstance(exc, UserError):
        return exc.text(lang)
    first = exc.args[0] if exc.args else ""
    if isinstance(first, (Message, Promise)):
        return render(first, lang)
    return str(exc)


def lines(message) -> str:
    """The CLI's way: the Vietnamese line, then the English line, of the one msgid (once when equal)."""
    vi, en = render(message, "vi"), render(message, "en")
    return vi if vi == en else f"{vi}\n{en}"


def both(message) -> str:
    """"Tiếng Việt / English" from the one msgid (the same text once when the two are equal)."""
    vi, en = render(message, "vi"), render(message, "en")
    return vi if vi == en else f"{vi} / {en}"


class UserError(Exception):
    """An error a user reads: a lazy msgid with named parameters, optionally the field it is about and a
    machine-readable code. Subclasses may set a default ``message``."""

    message = None
    code: str | None = None

    def __init__(self, message=None, *, field: str | None = None, code: str | None = None, **params):
        if isinstance(message, UserError):  # the same message carried on by another error
            params = {**message.message.params, **params}
            field = field if field is not None else message.field
            code = code if code is not None else message.code
            message = message.message.msgid
        if field is not None and "field" not in params:
            params["field"] = field  # "%(field)s" in a message names the field it is about
        self.message = Message(message if message is not None else type(self).message, **params)
        self.field = field
        if code is not None:
            self.code = code
        super().__init__(self.message)

    @property
    def params(self) -> dict:
        return self.message.params

    def text(self, lang: str | None = None) -> str:
        return self.message.text(lang)

    @property
    def vi(self) -> str:
        return self.message.vi

    @property
    def en(self) -> str:
        return self.message.en

    def __str__(self) -> str:
        return both(self.message)
