"""Pages (Swedish paths) and the map/plotly assets they load."""

from django.urls import path

from datasmart.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("enhet/<str:code>/", views.unit, name="unit"),
    path("sok/", views.search, name="search"),
    path("kommungrupper/", views.kommungrupper_page, name="kommungrupper"),
    path("geo/kommuner.geojson", views.geojson, {"level": "kommun"}, name="geojson_kommuner"),
    path("geo/regioner.geojson", views.geojson, {"level": "region"}, name="geojson_regioner"),
    path("geo/topojson/", views.topojson, name="topojson_base"),
    path("geo/topojson/<slug:name>.json", views.topojson, name="topojson"),
    path("static-vendor/plotly.min.js", views.plotly_js, name="plotly_js"),
]
