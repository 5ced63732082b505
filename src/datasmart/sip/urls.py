"""SIP pages; mounted with ``path("sip/", include("datasmart.sip.urls"))``.

Staff pages take the plan's opaque id; the person's pages live under ``min-plan/`` and
the invitation link under ``lank/<secret>/``.
"""

from django.urls import path

from datasmart.sip.pages import person as person_views
from datasmart.sip.pages import staff as views
from datasmart.sip.pages import staff_edit as views_edit

app_name = "sip"

urlpatterns = [
    # staff
    path("", views.sip_list, name="list"),
    path("ny/", views.start, name="start"),
    path("organisation/", views.choose_organisation, name="choose_organisation"),
    path("<uuid:sip_id>/", views.detail, name="detail"),
    path("<uuid:sip_id>/samtycke/", views_edit.consent, name="consent"),
    path(
        "<uuid:sip_id>/samtycke/aterkalla/",
        views_edit.withdraw_consent,
        name="withdraw_consent",
    ),
    path("<uuid:sip_id>/bjud-in/", views_edit.invite, name="invite"),
    path(
        "<uuid:sip_id>/deltagare/<uuid:participant_id>/svar/",
        views_edit.answer,
        name="answer",
    ),
    path("<uuid:sip_id>/plan/", views_edit.edit_plan, name="edit"),
    path(
        "<uuid:sip_id>/moten/<int:meeting_id>/hallet/",
        views_edit.meeting_held,
        name="meeting_held",
    ),
    path("<uuid:sip_id>/uppfoljning/", views_edit.follow_up, name="follow_up"),
    path("<uuid:sip_id>/avsluta/", views_edit.close, name="close"),
    path("<uuid:sip_id>/lank/", views_edit.create_link, name="create_link"),
    path("<uuid:sip_id>/versioner/", views.versions, name="versions"),
    path("<uuid:sip_id>/versioner/<int:number>/", views.version_detail, name="version"),
    path("<uuid:sip_id>/jamfor/", views.compare, name="compare"),
    path("<uuid:sip_id>/logg/", views.access_log, name="access_log"),
    # the person
    path("lank/<str:secret>/", person_views.redeem, name="redeem"),
    path("min-plan/", person_views.my_plans, name="my_plans"),
    path("min-plan/lamna/", person_views.leave, name="leave"),
    path("min-plan/<uuid:sip_id>/", person_views.plan, name="person_plan"),
    path("min-plan/<uuid:sip_id>/svara/", person_views.respond, name="person_respond"),
    path("min-plan/<uuid:sip_id>/logg/", person_views.log, name="person_log"),
    path(
        "min-plan/<uuid:sip_id>/aterkalla-samtycke/",
        person_views.withdraw,
        name="person_withdraw",
    ),
    path("min-plan/<uuid:sip_id>/avsluta/", person_views.end, name="person_end"),
    path(
        "min-plan/<uuid:sip_id>/mina-uppgifter/",
        person_views.export_page,
        name="person_export_page",
    ),
    path(
        "min-plan/<uuid:sip_id>/mina-uppgifter.json",
        person_views.export,
        name="person_export",
    ),
]
