def navigation(request):
    """What the signed-in user may use, for the header navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav": user.navigation}
