from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("planner", "0004_pins_need_a_quarter"),
    ]

    operations = [
        migrations.AddField(
            model_name="rankingrun",
            name="last_sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="rankingrun",
            name="claimed_by",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
