app_name = "networks"

# A network's pages are the directory's (directory.urls), its meetings the meetings app's (meetings.urls).
urlpatterns: list = []
