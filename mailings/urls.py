"""Messages to the network: writing, checking the audience, sending, and reading them."""

from django.urls import path

from . import views

app_name = "mailings"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.read, name="read"),
    path("new/", views.write, name="write"),
    path("new/<uuid:draft>/", views.preview, name="preview"),
    path("new/<uuid:draft>/send/", views.send, name="send"),
    path("sent/", views.sent_list, name="sent"),
    path("sent/<int:pk>/", views.detail, name="detail"),
    path("sent/<int:pk>/retry/", views.retry, name="retry"),
]
