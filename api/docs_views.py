"""The schema and the browsable docs (Swagger UI from drf-spectacular-sidecar: served from
our own static files, script in its own file, so the site's Content-Security-Policy holds)."""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


class Schema(SpectacularAPIView):
    pass


class Docs(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
    url_name = "api:schema"
    title = "Redline API"
