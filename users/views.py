from allauth.core import ratelimit
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .forms import ResendConfirmationForm
from .services import email_confirmation_resend


@require_http_methods(["GET", "POST"])
def resend_confirmation(request):
    """Sends the link that confirms an email address again, for someone who signed up (or tried to
    sign in) but has not received it or let it expire. The answer is the same for every address."""
    form = ResendConfirmationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        limited = ratelimit.consume_or_429(request, action="resend_confirmation")
        if limited:
            return limited
        email = form.cleaned_data["email"]
        email_confirmation_resend(request=request, email=email)
        messages.info(
            request,
            f"If {email} is waiting to be confirmed, we have sent it a new link. "
            "We send at most one email every 3 minutes.",
        )
        return redirect("account_email_verification_sent")
    return render(request, "account/resend_confirmation.html", {"form": form})
