from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0005_swedish_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="result",
            name="group_edition",
            field=models.CharField(
                blank=True,
                default="",
                help_text="SKR edition the kommungrupp comparison uses (in force for the period).",
                max_length=8,
                verbose_name="kommungruppsindelning",
            ),
        ),
    ]
