from django.urls import path, register_converter

from review import admin_views, views


class ClaimAction:
    regex = "claim|release"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ClaimAction, "claim_action")
app_name = "review"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("<int:pk>/", views.review_draft, name="draft"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/changes/", views.choose, name="choose"),
    path("<int:pk>/comments/<int:comment_id>/suggest/", views.suggest, name="suggest"),
    path("<int:pk>/checks/", views.recheck, name="recheck"),
    path("<int:pk>/findings/<int:finding_id>/dismiss/", views.dismiss_finding,
         name="dismiss_finding"),
    path("<int:pk>/<claim_action:action>/", views.claim, name="claim"),
    # Admins: pending workflows read from Temporal (review/admin_views.py).
    path("overdue/", admin_views.overdue, name="overdue"),
    path("pending/", admin_views.pending, name="pending"),
    path("pending/<int:pk>/", admin_views.details, name="pending_details"),
    path("pending/<int:pk>/<slug:action>/", admin_views.action, name="pending_action"),
]
