"""Issue #10: one consent in force per plan (``Consent.superseded_at``) and the person's
name per plan (``Sip.display_name``).

Existing data: every plan keeps only its most recently *recorded* open consent in force
(highest id), whatever its ``given_at`` says: an imported consent dated in the future
must not outlive a narrower consent recorded after it. Each plan gets the name recorded
for its person so far.
"""

from django.db import migrations, models
from django.utils import timezone


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    Sip = apps.get_model("sip", "Sip")
    Consent = apps.get_model("sip", "Consent")
    now = timezone.now()
    for sip_id, name in Sip.objects.filter(person__isnull=False).values_list(
        "pk", "person__display_name"
    ):
        Sip.objects.filter(pk=sip_id).update(display_name=name or "")
    open_ids: dict[object, list[int]] = {}
    for consent_id, sip_id in (
        Consent.objects.filter(withdrawn_at__isnull=True).order_by("id").values_list("id", "sip_id")
    ):
        open_ids.setdefault(sip_id, []).append(consent_id)
    older = [pk for ids in open_ids.values() for pk in ids[:-1]]
    if older:
        Consent.objects.filter(pk__in=older).update(superseded_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("sip", "0003_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="consent",
            name="superseded_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="ersatt av ett nyare samtycke"
            ),
        ),
        migrations.AddField(
            model_name="sip",
            name="display_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="namn"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="consent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("superseded_at__isnull", True), ("withdrawn_at__isnull", True)),
                fields=("sip",),
                name="sip_consent_one_open",
            ),
        ),
    ]
