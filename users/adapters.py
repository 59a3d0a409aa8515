"""django-allauth customised in one place: how its emails are sent, and the messages its
two-factor authentication shows."""

from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.utils.html import strip_tags

from emails.services import email_queue_rendered, email_render

from .services import session_confirmed_recently


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # The per-account limit of ACCOUNT_RATE_LIMITS["login_failed"]: 10 wrong passwords in 15 minutes.
        "too_many_login_attempts": (
            "This account is locked for up to 15 minutes because the wrong password was entered too many times. "
            "Wait 15 minutes and try again, or reset your password to sign in now."
        ),
    }

    # Setting up an authenticator app makes its recovery codes at once, and the page the user goes to
    # next shows them: one banner says so, not a second one about the codes.
    FOLDED_MESSAGES = {"mfa/messages/recovery_codes_generated.txt": "mfa/messages/totp_activated.txt"}
    # No banner to say a sign-in worked: the header names the person signed in, and the page they
    # land on is the one they came for.
    SILENT_MESSAGES = {"account/messages/logged_in.txt"}

    def add_message(self, request, level, message_template=None, message_context=None, extra_tags="", message=None):
        if message_template in self.SILENT_MESSAGES:
            return
        added = request.__dict__.setdefault("_msonet_messages_added", set())
        if message_template and self.FOLDED_MESSAGES.get(message_template) in added:
            return
        added.add(message_template)
        super().add_message(request, level, message_template, message_context, extra_tags, message)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The per-account sign-in counter is the account's alone. allauth keys it by the site and the
        address tried; without the sites framework its site is the request's Host header, port
        included, so each Host (another allowed name, any port: "portal:1", "portal:2") would count
        afresh and every web server addressed by its own name would keep its own count. Also the key
        a password reset clears, so the reset still unlocks the account."""
        login = credentials.get("email", credentials.get("username", "")).lower()
        return f"account:{login}"

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """allauth asks for the password again before a sensitive change (the email address, the
        password, two-factor authentication) unless it was entered again in the last few minutes;
        a sign-in in those minutes counts too, so a lead or chair setting up their authenticator
        app straight after their first sign-in is not asked twice."""
        if self.request is not None and hasattr(self.request, "session") and session_confirmed_recently(self.request):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def send_mail(self, template_prefix, email, context):
        """Account emails (confirm your address, reset your password, the notices of a change to the
        account) go through the outbox like every other email of the portal, so a mail server or
        Redis outage loses none of them, and in its one layout, text and HTML
        (templates/emails/account/). allauth's templates, overridden in templates/account/email/ and
        templates/mfa/email/, write only the subject and the words."""
        request = allauth_context.request
        # No sites framework: the site is the portal, at the address the request came to (where
        # allauth's links point), or SITE_URL outside a request.
        domain = request.get_host() if request is not None else urlsplit(settings.SITE_URL).netloc
        site = SimpleNamespace(name=settings.SITE_NAME, domain=domain)
        context = {"request": request, "email": email, "current_site": site, "site_name": site.name, **context}
        message = self.render_mail(template_prefix, email, context)
        words = strip_tags(message.body) if message.content_subtype == "html" else message.body
        email_queue_rendered(
            to=list(message.to),
            template=template_prefix.rsplit("/", 1)[-1],
            rendered=email_render("account", {"subject": message.subject, "words": words, "site_name": site.name}),
        )


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
