def navigation(request):
    """Menu entries for the logged-in user's role (the templates decide nothing themselves)."""
    from ngoso.core.navigation import menu_for

    user = getattr(request, "user", None)
    return {"nav_items": menu_for(user) if user is not None and user.is_authenticated else []}
