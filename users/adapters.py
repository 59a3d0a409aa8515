"""django-allauth customised in one place: the messages its two-factor authentication shows."""

from allauth.mfa.adapter import DefaultMFAAdapter


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        # allauth refuses a new (unconfirmed) email address on an account with two-factor
        # authentication, so that no one can tie an address they do not own to an account its
        # owner could not then recover; turning the app off for the change is allauth's way round.
        "add_email_blocked": (
            "You cannot change the email address while your account is protected by an authenticator app. "
            "Turn off the authenticator app on the two-factor authentication page, change your email address, "
            "then set up the authenticator app again."
        ),
        "unverified_email": (
            "You cannot set up an authenticator app while an email address on your account is waiting to be "
            "confirmed. Confirm the new address from the email we sent, or cancel the change."
        ),
        "incorrect_code": "The code is not right. Check it and try again: an authenticator app shows a new code "
        "every 30 seconds.",
    }
