from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_saved_posts')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Post',
            index=Index(fields=['kind', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Post',
            index=Index(fields=['kind', 'last_activity_at']),
        ),
        ops.AddIndex(
            model_name='Post',
            index=Index(fields=['group_id', 'pinned_at']),
        ),
        ops.AddIndex(
            model_name='Post',
            index=Index(fields=['group_id', 'state', 'id']),
        ),
        ops.AddIndex(
            model_name='Post',
            index=Index(fields=['group_id', 'state', 'last_activity_at']),
        ),
    ]
