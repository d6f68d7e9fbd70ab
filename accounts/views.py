from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from reform.errors import NotFound, PermissionDenied
from reform.errors import ValidationError as DomainValidationError
from reform.roles import Role

from . import selectors, services
from .forms import PasswordChangeForm, UserCreateForm
from .models import User


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        if self.request.user.role in (Role.LEADER,):
            return "/cockpit/"
        return "/tasks/"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("home")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        user = form.user
        if user.must_change_password:
            user.must_change_password = False
            user.save(update_fields=["must_change_password"])
        services.password_changed(user=user)  # every API token ends with the old password
        return response


# --- My API tokens -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def tokens_page(request: HttpRequest) -> HttpResponse:
    """The user's own API tokens (prefix, issued, expires) and a button to revoke each."""
    if request.method == "POST":
        try:
            services.token_revoke(actor=request.user, token_key=request.POST.get("token", "")[:25])
        except NotFound as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已吊销该令牌，使用它的程序将无法再访问接口"))
        return redirect("accounts:tokens")
    tokens = list(selectors.user_tokens(request.user))
    context = {
        "tokens": tokens,
        "idle_minutes": settings.API_TOKEN_IDLE_TIMEOUT // 60,
        "max_days": settings.API_TOKEN_MAX_AGE_DAYS,
    }
    return render(request, "accounts/tokens.html", context)


# --- Account management (单位账号管理): the office for everyone, a unit admin for its unit subtree ---------


def _require_manager(request: HttpRequest) -> None:
    if request.user.role not in services.USER_MANAGERS:
        raise DjangoPermissionDenied(_("只有督查室和单位管理员可以管理账号"))


def _one_time_password_page(request: HttpRequest, *, target: User, password: str, created: bool) -> HttpResponse:
    """Show the one-time password exactly once; never cached, never stored anywhere but its hash."""
    response = render(
        request, "accounts/password_once.html", {"target": target, "password": password, "created": created}
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def users_page(request: HttpRequest) -> HttpResponse:
    """The accounts the user manages, and the form to create one (POST creates and shows its password)."""
    _require_manager(request)
    actor = request.user
    form = UserCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        password = services.new_one_time_password()
        try:
            user = services.user_create(
                actor=actor,
                username=form.cleaned_data["username"],
                full_name=form.cleaned_data["full_name"],
                unit=form.cleaned_data["unit"],
                role=form.cleaned_data["role"],
                scope=form.cleaned_data.get("scope"),
                one_time_password=password,
            )
        except DomainValidationError as exc:
            for field, errors in (exc.fields or {"__all__": [exc.message]}).items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except (NotFound, PermissionDenied) as exc:
            form.add_error("unit" if isinstance(exc, NotFound) else "role", exc.message)
        else:
            return _one_time_password_page(request, target=user, password=password, created=True)
    users = list(selectors.managed_users(actor))
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/users.html", {"form": form, "users": users}, status=status)


@login_required
@require_POST
def user_reset_password(request: HttpRequest, user_id: int) -> HttpResponse:
    """A new one-time password for one account (its sessions and tokens end); shown once."""
    _require_manager(request)
    target = selectors.managed_users(request.user).filter(pk=user_id).first()
    if target is None:
        raise Http404(_("用户不存在或不在您的管理范围内"))
    password = services.new_one_time_password()
    try:
        target = services.user_reset_password(actor=request.user, user=target, one_time_password=password)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    return _one_time_password_page(request, target=target, password=password, created=False)
