import json

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from .forms import ResendConfirmationForm
from .personal_data import personal_data, personal_data_filename
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


@login_required
@require_GET
def my_data(request):
    """What the portal holds about the signed-in user, and the link to download it."""
    return render(request, "users/my_data.html")


@never_cache
@login_required
@require_GET
def my_data_download(request):
    """Everything the portal holds about the signed-in user, as one JSON file."""
    data = json.dumps(personal_data(request.user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(data, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{personal_data_filename()}"'
    return response
