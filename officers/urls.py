from django.urls import path

from . import views

app_name = "officers"

urlpatterns = [
    path("<int:pk>/", views.PersonDetailView.as_view(), name="person-detail"),
]
