"""Pages of Politikerchecklistan under /politikerchecklistan/."""

from django.urls import path

from datasmart.checklist import views

app_name = "checklist"

urlpatterns = [
    path("", views.index, name="index"),
    path("jamfor/", views.compare, name="compare"),
    path("<str:unit_code>/<int:year>/", views.round_page, name="round"),
    path("<str:unit_code>/<int:year>/skicka-in/", views.submit, name="submit"),
    path("<str:unit_code>/<int:year>/ny-omgang/", views.new_round, name="new_round"),
    path("<str:unit_code>/<int:year>/rapport/", views.report_page, name="report"),
    path("<str:unit_code>/<int:year>/rapport.pdf", views.report_pdf, name="report_pdf"),
]
