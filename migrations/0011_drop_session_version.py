from tortoise import migrations
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    dependencies = [('models', '0010_read_scale')]

    initial = False

    operations = [
        ops.RemoveField(model_name='Account', name='session_version'),
    ]
