from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("planner", "0003_pins_to_quarters_and_one_effort"),
    ]

    operations = [
        migrations.RemoveField(model_name="historicalhorizonoverride", name="horizon"),
        migrations.RemoveField(model_name="horizonoverride", name="horizon"),
        migrations.AlterField(
            model_name="horizonoverride",
            name="quarter",
            field=models.DateField(verbose_name="pinned quarter (its first day)"),
        ),
        migrations.AlterField(
            model_name="historicalhorizonoverride",
            name="quarter",
            field=models.DateField(verbose_name="pinned quarter (its first day)"),
        ),
    ]
