from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

# /home on SQLite reads each of the member's groups' newest threads (last activity, id) from
# this index; without `id` in it, every row read there went back to the table for its id.
# The new index is made before the old one goes, so no query runs without one meanwhile.
class Migration(migrations.Migration):
    dependencies = [('models', '0012_inbox_open_rows')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Post',
            index=Index(fields=['group_id', 'parent_id', 'state', 'last_activity_at', 'id']),
        ),
        ops.RemoveIndex(
            model_name='Post',
            name=None,
            fields=['group_id', 'parent_id', 'state', 'last_activity_at'],
        ),
    ]
