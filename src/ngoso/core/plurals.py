"""Plural names of the project's models in the reader's language (issue 18: admin "Hộ gia đìnhs").

Django makes a missing ``verbose_name_plural`` by adding "s" to ``verbose_name``, which in Vietnamese gives
"Hộ gia đìnhs". Vietnamese nouns have no plural form, so the plural is the name itself; in English it is the
regular English plural. Set at start-up on ``_meta`` (not in ``Meta``), so no migration changes; a model that
declares its own ``verbose_name_plural`` keeps it.
"""

from __future__ import annotations

from django.utils.functional import lazy
from django.utils.translation import get_language


def english_plural(name: str) -> str:
    if name.endswith(("s", "x", "ch", "sh")):
        return name + "es"
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return name[:-1] + "ies"
    return name + "s"


def plural(name) -> str:
    text = str(name)
    return text if (get_language() or "vi").startswith("vi") else english_plural(text)


plural_lazy = lazy(plural, str)


def apply(app_prefix: str = "ngoso.") -> int:
    """Give every model of the project without its own plural one; returns how many were set."""
    from django.apps import apps

    n = 0
    for model in apps.get_models():
        opts = model._meta
        if not model.__module__.startswith(app_prefix) or "verbose_name_plural" in opts.original_attrs:
            continue
        opts.verbose_name_plural = plural_lazy(opts.verbose_name)
        n += 1
    return n
