from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from django.http import HttpRequest


def email_confirmation_resend(*, request: HttpRequest, email: str) -> bool:
    """Sends a new confirmation link to an address waiting to be confirmed on an active account.

    At most one email per address every few minutes (allauth's "confirm_email" rate limit, shared
    with the emails sent at sign-up and sign-in). Returns whether an email went; the caller should
    not tell the user, so that no one learns which addresses have accounts.
    """
    addresses = EmailAddress.objects.filter(email__iexact=email, verified=False, user__is_active=True)
    addresses = list(addresses.select_related("user"))
    if not addresses or not ratelimit.consume(request, action="confirm_email", key=email.lower()):
        return False
    for address in addresses:
        address.send_confirmation(request)
    return True
