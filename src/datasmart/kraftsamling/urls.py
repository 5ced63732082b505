"""Pages of the kraftsamling domain, under /kraftsamling/."""

from django.urls import path

from datasmart.kraftsamling import views

app_name = "kraftsamling"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("delarena/ny/", views.create, name="create"),
    path("delarena/<int:delarena_id>/", views.delarena, name="delarena"),
    path("delarena/<int:delarena_id>/deltagare/", views.add_participant, name="add_participant"),
    path(
        "delarena/<int:delarena_id>/deltagare/lamna/",
        views.remove_participant,
        name="remove_participant",
    ),
    path("delarena/<int:delarena_id>/verkstad/", views.record_output, name="record_output"),
    path(
        "delarena/<int:delarena_id>/verkstad/<int:output_id>/",
        views.update_output,
        name="update_output",
    ),
    path(
        "delarena/<int:delarena_id>/verkstad/<int:output_id>/ta-bort/",
        views.delete_output,
        name="delete_output",
    ),
    path("delarena/<int:delarena_id>/handslag/", views.create_handslag, name="create_handslag"),
    path("handslag/<int:handslag_id>/", views.handslag, name="handslag"),
    path("handslag/<int:handslag_id>/mal/", views.add_goal, name="add_goal"),
    path("handslag/<int:handslag_id>/aktivitet/", views.add_activity, name="add_activity"),
    path("handslag/<int:handslag_id>/mal/<int:goal_id>/", views.update_goal, name="update_goal"),
    path(
        "handslag/<int:handslag_id>/mal/<int:goal_id>/ta-bort/",
        views.delete_goal,
        name="delete_goal",
    ),
    path(
        "handslag/<int:handslag_id>/aktivitet/<int:activity_id>/",
        views.update_activity,
        name="update_activity",
    ),
    path(
        "handslag/<int:handslag_id>/aktivitet/<int:activity_id>/ta-bort/",
        views.delete_activity,
        name="delete_activity",
    ),
    path("handslag/<int:handslag_id>/underteckna/", views.sign, name="sign"),
    path("handslag/<int:handslag_id>/handslag.pdf", views.handslag_pdf, name="handslag_pdf"),
    path("handslag/<int:handslag_id>/handslag.md", views.handslag_markdown, name="handslag_md"),
]
