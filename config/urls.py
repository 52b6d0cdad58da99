from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import ops
from drafts import views as draft_views
from review import insights_views, outside_views

urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
    path("", draft_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("drafts/", include("drafts.urls")),
    path("review/", include("review.urls")),
    path("insights/", insights_views.dashboard, name="insights"),
    path("insights/drafts/", insights_views.drafts_behind, name="insights_drafts"),
    path("insights/figures.csv", insights_views.figures_csv, name="insights_figures_csv"),
    path("insights/events.csv", insights_views.events_csv, name="insights_events_csv"),
    path("insights/events.jsonl", insights_views.events_jsonl, name="insights_events_jsonl"),
    # Outside approvers: no account, a signed single-use link (review/outside.py).
    path("outside/<str:token>/", outside_views.outside_link, name="outside"),
    path("admin/", admin.site.urls),
    path("", include("api.urls")),  # /api/v1/… and /account/tokens/ (docs/api.md)
]
