from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_notifications_watches_mail')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Membership',
            index=Index(fields=['actor_id', 'state']),
        ),
        ops.AddIndex(
            model_name='Post',
            index=Index(fields=['group_id', 'parent_id', 'state', 'last_activity_at']),
        ),
        ops.AddIndex(
            model_name='Post',
            index=Index(fields=['root_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Post',
            index=Index(fields=['parent_id']),
        ),
        ops.AddIndex(
            model_name='Post',
            index=Index(fields=['author_id', 'created_at']),
        ),
    ]
