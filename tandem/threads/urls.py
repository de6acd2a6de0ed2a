from django.urls import path

from tandem.threads import directory_views, views

urlpatterns = [
    path("new/", views.thread_new, name="thread-new"),
    path("public/", directory_views.explore, name="explore"),
    path("invitations/<int:pk>/", views.invitation_respond, name="invitation-respond"),
    path("invitations/<int:pk>/withdraw/", views.invitation_withdraw, name="invitation-withdraw"),
    path("<str:public_id>/", views.thread_detail, name="thread-detail"),
    path("<str:public_id>/settings/", views.thread_settings, name="thread-settings"),
    path("<str:public_id>/invite/", views.thread_invite, name="thread-invite"),
    path(
        "<str:public_id>/invite/suggestions/",
        views.thread_invite_suggestions,
        name="thread-invite-suggestions",
    ),
    path("<str:public_id>/muses/", views.participant_add, name="participant-add"),
    path(
        "<str:public_id>/muses/<int:participant_id>/",
        views.participant_action,
        name="participant-action",
    ),
    path("<str:public_id>/skip/", views.turn_skip, name="turn-skip"),
    path("<str:public_id>/preview/", views.composer_preview, name="composer-preview"),
    path("<str:public_id>/draft/", views.composer_draft, name="composer-draft"),
    path("<str:public_id>/ooc/", views.thread_ooc, name="thread-ooc"),
    path("<str:public_id>/ooc/<int:pk>/fragment/", views.ooc_fragment, name="ooc-fragment"),
    path("<str:public_id>/queue/", views.thread_flag, name="thread-flag"),
    path("<str:public_id>/reminder/", views.thread_reminder, name="thread-reminder"),
    path("<str:public_id>/turn/fragment/", views.turn_fragment, name="turn-fragment"),
    path("<str:public_id>/posts/<int:number>/", views.post_permalink, name="post-permalink"),
    path(
        "<str:public_id>/posts/<int:number>/fragment/",
        views.post_fragment,
        name="post-fragment",
    ),
    path("<str:public_id>/posts/<int:number>/edit/", views.post_edit, name="post-edit"),
    path("<str:public_id>/posts/<int:number>/delete/", views.post_delete, name="post-delete"),
    path("<str:public_id>/posts/<int:number>/restore/", views.post_restore, name="post-restore"),
    path(
        "<str:public_id>/posts/<int:number>/revisions/",
        views.post_revisions,
        name="post-revisions",
    ),
    path(
        "<str:public_id>/posts/<int:number>/revisions/<int:revision>/restore/",
        views.post_revision_restore,
        name="post-revision-restore",
    ),
]
