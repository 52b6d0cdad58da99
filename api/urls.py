"""/api/v1/… (the JSON API) and /account/tokens/ (the page where a user manages API tokens).
tests/test_api_schema.py checks every route under /api/v1/ against the OpenAPI schema."""

from csp.decorators import csp_update
from django.urls import include, path, re_path

from api import account_views, docs_views, insights_views, views

app_name = "api"

v1 = [
    path("schema/", docs_views.Schema.as_view(), name="schema"),
    # Swagger UI draws its icons as data: images; the rest of the site's CSP holds there too.
    path("docs/", csp_update({"img-src": ["data:"]})(docs_views.Docs.as_view()), name="docs"),
    path("drafts/", views.DraftsView.as_view(), name="drafts"),
    path("drafts/<int:draft_id>/", views.DraftView.as_view(), name="draft"),
    path("drafts/<int:draft_id>/versions/<int:number>/", views.VersionView.as_view(),
         name="version"),
    path("drafts/<int:draft_id>/versions/<int:number>/checks/",
         views.VersionChecksView.as_view(), name="version_checks"),
    path("drafts/<int:draft_id>/versions/<int:number>/diff/", views.VersionDiffView.as_view(),
         name="version_diff"),
    path("drafts/<int:draft_id>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
    path("drafts/<int:draft_id>/stop/", views.StopWritingView.as_view(), name="stop"),
    path("drafts/<int:draft_id>/comments/", views.CommentsView.as_view(), name="comments"),
    path("drafts/<int:draft_id>/comments/<int:comment_id>/replies/", views.ReplyView.as_view(),
         name="comment_replies"),
    path("drafts/<int:draft_id>/comments/<int:comment_id>/resolve/",
         views.ResolveView.as_view(), name="comment_resolve"),
    path("drafts/<int:draft_id>/comments/<int:comment_id>/reopen/",
         views.ReopenView.as_view(), name="comment_reopen"),
    path("drafts/<int:draft_id>/decisions/", views.DecisionsView.as_view(), name="decisions"),
    path("drafts/<int:draft_id>/changes/", views.ChangesView.as_view(), name="changes"),
    path("drafts/<int:draft_id>/comments/<int:comment_id>/suggest/", views.SuggestView.as_view(),
         name="comments_suggest"),
    path("drafts/<int:draft_id>/deliveries/retry/", views.RetryDeliveryView.as_view(),
         name="retry_delivery"),
    path("queue/", views.QueueView.as_view(), name="queue"),
    path("insights/", insights_views.InsightsView.as_view(), name="insights"),
    path("events/", insights_views.EventsView.as_view(), name="events"),
    path("pending/", views.PendingView.as_view(), name="pending"),
    # Last: JSON 404 for anything else, a path with a line break too (`.` would not match it,
    # and the site's HTML 404 would answer).
    re_path(r"^[\s\S]*$", views.not_found, name="not_found"),
]

urlpatterns = [
    path("api/v1/", include(v1)),
    path("account/tokens/", account_views.tokens, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", account_views.revoke, name="token_revoke"),
]
