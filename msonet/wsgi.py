"""The WSGI application, with the production settings unless DJANGO_SETTINGS_MODULE says otherwise;
a bad configuration stops it before it loads (msonet.startup)."""

from msonet.startup import check_or_exit

check_or_exit("web")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
