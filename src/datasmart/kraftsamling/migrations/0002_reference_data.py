"""Kraftsamling's goals 1–3, areas A–I and Verkstad 1–5 from source 003
(see :mod:`datasmart.kraftsamling.reference`)."""

from django.db import migrations


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    from datasmart.kraftsamling.reference import write_reference

    write_reference(
        apps.get_model("kraftsamling", "KraftsamlingGoal"),
        apps.get_model("kraftsamling", "Area"),
        apps.get_model("kraftsamling", "WorkshopStage"),
    )


class Migration(migrations.Migration):
    dependencies = [("kraftsamling", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
