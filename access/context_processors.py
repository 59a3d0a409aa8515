from . import scopes


def navigation(request):
    """What the signed-in user may reach, for the header navigation and the account pages."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "is_lead": user.is_national_lead,
            "is_chair": scopes.is_chair(user),
            "chaired_networks": scopes.chaired_networks(user),
            "person": user.person_record,
            "requires_mfa": scopes.requires_mfa(user),
        }
    }
