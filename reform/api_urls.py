"""The REST API root (/api/): each app contributes its routes here, plus the schema and its docs.

``/api/schema/`` is the OpenAPI 3 document (drf-spectacular); ``/api/docs/`` is Swagger UI served
from our own static files (drf-spectacular-sidecar, no CDN) with its script in a separate file, so
the page runs under the site's CSP (no inline scripts). Both need a login (session or token).
Anything else under /api/ answers 404 in the API's error shape.
"""

from django.contrib.auth.views import redirect_to_login
from django.http.response import HttpResponseBase
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from reform.api import ApiView

from .errors import NotFound


@extend_schema(exclude=True)
class SchemaView(SpectacularAPIView):
    authentication_classes = ApiView.authentication_classes
    permission_classes = ApiView.permission_classes


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI is a page for people: without a login it sends them to the login page and back."""

    authentication_classes = ApiView.authentication_classes
    permission_classes = ApiView.permission_classes

    def handle_exception(self, exc: Exception) -> HttpResponseBase:
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([AllowAny])
def not_found(request: Request, *args: object, **kwargs: object) -> Response:
    raise NotFound(_("接口不存在：%(path)s") % {"path": request.path})


urlpatterns: list = [
    path("", include("accounts.api.urls")),
    path("", include("tasks_app.api.urls")),
    path("", include("indicators.api.urls")),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
]
urlpatterns.append(path("cockpit/", include("cockpit.api")))  # /api/cockpit/: the cockpit figures
urlpatterns.append(re_path(r"^", not_found))  # last: every unknown /api/ path, in the error shape
