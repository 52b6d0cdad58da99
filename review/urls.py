from django.urls import path

from review import admin_views, views

app_name = "review"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.review_draft, name="draft"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    # Admins: pending workflows read from Temporal (review/admin_views.py).
    path("pending/", admin_views.pending, name="pending"),
    path("pending/<int:pk>/", admin_views.details, name="pending_details"),
    path("pending/<int:pk>/<slug:action>/", admin_views.action, name="pending_action"),
]
