from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "datasmart.geo"
    label = "geo"
    verbose_name = "Geografi och befolkning"
