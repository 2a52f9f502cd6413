from django.urls import path

from councils import sso_callback, sso_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    *sso_views.urlpatterns,
    # Only the OpenID Connect callback (/accounts/oidc/<council slug>/login/callback/):
    # allauth runs social-only and never shows its own account pages.
    *sso_callback.urlpatterns,
]
