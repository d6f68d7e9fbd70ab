from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("tokens/", views.tokens_page, name="tokens"),
    path("users/", views.users_page, name="users"),
    path("users/<int:user_id>/reset-password/", views.user_reset_password, name="user-reset-password"),
]
