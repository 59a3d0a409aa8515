"""Pages for messages to the network: the officer's own messages (anyone signed in, their own only);
the sender's pages (the national lead, and chairs for their networks) are fetched through
`Message.objects.visible_to`, so anyone else gets 404."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from .models import Message
from .text import body_html

INBOX_PER_PAGE = 25


@login_required
def inbox(request):
    """The messages sent to the signed-in officer, newest first: a lost email is not a lost message."""
    received = Message.objects.received_by(request.user).select_related("network", "sender__person")
    page_obj = Paginator(received, INBOX_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "mailings/inbox.html", {"page_obj": page_obj, "nav_section": "messages"})


@login_required
def read(request, pk):
    """One message sent to the signed-in officer; 404 for any other."""
    message = get_object_or_404(
        Message.objects.received_by(request.user).select_related("network", "sender__person"), pk=pk
    )
    return render(
        request,
        "mailings/read.html",
        {"message": message, "body_html": body_html(message.body), "nav_section": "messages"},
    )
