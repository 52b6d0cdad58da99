from django.urls import path, register_converter

from drafts import views


class CommentAction:
    regex = "resolve|reopen"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CommentAction, "comment_action")

app_name = "drafts"
urlpatterns = [
    path("", views.draft_list, name="list"),
    path("new/", views.draft_new, name="new"),
    path("<int:pk>/", views.draft_detail, name="detail"),
    path("<int:pk>/retry/", views.draft_retry, name="retry"),
    path("<int:pk>/withdraw/", views.draft_withdraw, name="withdraw"),
    path("<int:pk>/stop/", views.draft_stop, name="stop"),
    path("<int:pk>/streamed/", views.streamed, name="streamed"),
    path("<int:pk>/retry-delivery/", views.draft_retry_delivery, name="retry_delivery"),
    path("<int:pk>/download.<str:fmt>", views.draft_download, name="download"),
    path("<int:pk>/comments/", views.comment_add, name="comment_add"),
    path("<int:pk>/comments/<int:comment_id>/reply/", views.comment_reply,
         name="comment_reply"),
    path("<int:pk>/comments/<int:comment_id>/<comment_action:action>/", views.comment_resolve,
         name="comment_resolve"),
]
