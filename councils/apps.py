from django.apps import AppConfig


class CouncilsConfig(AppConfig):
    name = "councils"
    verbose_name = "Councils"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from councils.middleware import stamp_new_session

        # Every way of signing in (password, two-factor, single sign-on, tests' force_login)
        # sends this signal, so a session's clock starts wherever it was created.
        user_logged_in.connect(stamp_new_session, dispatch_uid="councils.stamp_new_session")
