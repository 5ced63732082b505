"""Load the questions of data/questions.toml (version 2026-1) as reference data.

Why a data migration: every database (the demo, CI, each test database) gets the
questions without a separate step; later versions are loaded with
``datasmart checklist load``, which uses the same writer (``questions.write_version``).
"""

from django.db import migrations


def load(apps, schema_editor):
    from datasmart.checklist.questions import read_questions, write_version

    write_version(
        apps.get_model("checklist", "ChecklistVersion"),
        apps.get_model("checklist", "Question"),
        read_questions(),
    )


class Migration(migrations.Migration):
    dependencies = [("checklist", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
