from django.apps import AppConfig


def _record_sign_in(sender, request, user, **kwargs):
    from .services import session_sign_in_record

    if request is not None and hasattr(request, "session"):
        session_sign_in_record(request=request, user=user)


class UsersConfig(AppConfig):
    name = "users"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        # Every way of signing in (allauth's pages, a confirmed email address, a password reset)
        # ends in django.contrib.auth.login, which sends this signal with the new session.
        user_logged_in.connect(_record_sign_in, dispatch_uid="users.record_sign_in")
