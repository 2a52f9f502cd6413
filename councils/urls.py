from django.urls import path

from councils import sso_callback, sso_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.sign_in, name="login"),
    path("login/code/", views.two_factor_verify, name="two_factor_verify"),
    path("logout/", views.sign_out, name="logout"),
    *sso_views.urlpatterns,
    # Only the OpenID Connect callback (/accounts/oidc/<council slug>/login/callback/):
    # allauth runs social-only and never shows its own account pages.
    *sso_callback.urlpatterns,
    path("account/password/", views.password_change, name="password_change"),
    path("account/two-factor/", views.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/recovery-codes/", views.recovery_codes_new, name="recovery_codes_new"),
]
