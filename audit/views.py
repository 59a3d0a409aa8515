"""A user's own data: what the portal holds about them, and its download (their right of access)."""

import json

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .personal_data import personal_data, personal_data_filename


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
