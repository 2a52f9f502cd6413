from django.urls import path

from councils import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.sign_in, name="login"),
    path("login/code/", views.two_factor_verify, name="two_factor_verify"),
    path("logout/", views.sign_out, name="logout"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/two-factor/", views.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/recovery-codes/", views.recovery_codes_new, name="recovery_codes_new"),
]
