from django.apps import AppConfig


def _record_sign_in(sender, request, user, **kwargs):
    from .services import session_sign_in_record

    if request is not None and hasattr(request, "session"):
        session_sign_in_record(request=request, user=user)


def _record_password(sender, request, method, **kwargs):
    from .services import session_password_entered

    if method == "password" and request is not None and hasattr(request, "session"):
        session_password_entered(request=request)


class UsersConfig(AppConfig):
    name = "users"

    def ready(self):
        from allauth.account.signals import authentication_step_completed
        from django.contrib.auth.signals import user_logged_in

        # Every way of signing in (allauth's pages, a confirmed email address, a password reset)
        # ends in django.contrib.auth.login, which sends this signal with the new session.
        user_logged_in.connect(_record_sign_in, dispatch_uid="users.record_sign_in")
        # allauth reports each step of signing in (the password, the authenticator app's code) and
        # each time it asks for the password again.
        authentication_step_completed.connect(_record_password, dispatch_uid="users.record_password")
