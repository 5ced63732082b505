from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "datasmart.indicators"
    label = "indicators"
    verbose_name = "Indikatorer"
