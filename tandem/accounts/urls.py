from django.contrib.auth import views as auth_views
from django.urls import path

from tandem.accounts import views
from tandem.accounts.forms import LoginForm, WriterPasswordChangeForm
from tandem.core.limits import limit

urlpatterns = [
    path("signup/", views.sign_up, name="sign-up"),
    path(
        "login/",
        limit("login")(
            auth_views.LoginView.as_view(
                redirect_authenticated_user=True, authentication_form=LoginForm
            )
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(form_class=WriterPasswordChangeForm),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        limit("password-reset-ip", "password-reset-email")(auth_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("profile/", views.profile_edit, name="profile"),
    path("reading/", views.reading_preferences, name="reading-preferences"),
]
