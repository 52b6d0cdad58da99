from django.urls import path

from drafts import views

app_name = "drafts"
urlpatterns = [
    path("", views.draft_list, name="list"),
    path("new/", views.draft_new, name="new"),
    path("<int:pk>/", views.draft_detail, name="detail"),
    path("<int:pk>/retry/", views.draft_retry, name="retry"),
    path("<int:pk>/withdraw/", views.draft_withdraw, name="withdraw"),
    path("<int:pk>/retry-delivery/", views.draft_retry_delivery, name="retry_delivery"),
    path("<int:pk>/download.<str:fmt>", views.draft_download, name="download"),
]
