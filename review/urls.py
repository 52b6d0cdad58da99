from django.urls import path

from review import views

app_name = "review"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.review_draft, name="draft"),
    path("<int:pk>/decide/", views.decide, name="decide"),
]
