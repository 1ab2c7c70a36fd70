from django import template

register = template.Library()


@register.filter
def get(mapping, key):
    """``{{ d|get:"key" }}``: a dictionary's value, or nothing."""
    return (mapping or {}).get(key, [])
