from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChecklistConfig(AppConfig):
    name = "datasmart.checklist"
    label = "checklist"
    verbose_name = _("Politikerchecklistan")
