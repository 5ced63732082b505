from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "datasmart.accounts"
    label = "accounts"
    verbose_name = "Konton och behörigheter"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the audit receivers)
