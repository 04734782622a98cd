from tortoise import migrations
from tortoise.migrations import operations as ops
from server.models._base import new_id
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_private_groups_recognition_analytics')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ActiveWeek',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_id, unique=True, db_index=True, max_length=26)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('scope', fields.CharField(max_length=26)),
                ('week', fields.DateField()),
                ('members', fields.IntField(default=0)),
            ],
            options={'table': 'analytics_active_week', 'app': 'models', 'unique_together': (('scope', 'week'),), 'pk_attr': 'id', 'table_description': 'How many distinct people posted, replied or reacted in a week (Monday, UTC): per group'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='AnalyticsDirty',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_id, unique=True, db_index=True, max_length=26)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='analytics_dirty', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField()),
                ('marked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'analytics_dirty', 'app': 'models', 'unique_together': (('group', 'day'),), 'pk_attr': 'id', 'table_description': 'A day of a group whose rollups must be computed again (written by domain events and by'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='GroupDay',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_id, unique=True, db_index=True, max_length=26)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='analytics_days', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField()),
                ('posts', fields.IntField(default=0)),
                ('replies', fields.IntField(default=0)),
                ('questions', fields.IntField(default=0)),
                ('new_members', fields.IntField(default=0)),
                ('views', fields.IntField(default=0)),
            ],
            options={'table': 'analytics_group_day', 'app': 'models', 'unique_together': (('group', 'day'),), 'indexes': [Index(fields=['day'])], 'pk_attr': 'id', 'table_description': "One group's published activity on one UTC day: additive, so weeks and the instance sum."},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='QuestionStat',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_id, unique=True, db_index=True, max_length=26)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('question', fields.OneToOneField('models.Post', source_field='question_id', db_constraint=True, to_field='id', related_name='question_stat', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='question_stats', on_delete=OnDelete.CASCADE)),
                ('asked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('first_reply_after', fields.IntField(null=True)),
                ('accepted_after', fields.IntField(null=True)),
                ('first_replier', fields.ForeignKeyField('models.Actor', source_field='first_replier_id', null=True, db_constraint=True, to_field='id', related_name='first_replies', on_delete=OnDelete.SET_NULL)),
                ('answerer', fields.ForeignKeyField('models.Actor', source_field='answerer_id', null=True, db_constraint=True, to_field='id', related_name='accepted_answers', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'analytics_question', 'app': 'models', 'indexes': [Index(fields=['group_id', 'asked_at', 'first_reply_after', 'accepted_after', 'answerer_id', 'first_replier_id']), Index(fields=['asked_at'])], 'pk_attr': 'id', 'table_description': 'How one published question fared: when it got its first reply and its accepted answer'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='ResourceWeek',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_id, unique=True, db_index=True, max_length=26)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('thread', fields.ForeignKeyField('models.Post', source_field='thread_id', db_constraint=True, to_field='id', related_name='resource_weeks', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='resource_weeks', on_delete=OnDelete.CASCADE)),
                ('week', fields.DateField()),
                ('views', fields.IntField(default=0)),
            ],
            options={'table': 'analytics_resource_week', 'app': 'models', 'unique_together': (('thread', 'week'),), 'indexes': [Index(fields=['group_id', 'week']), Index(fields=['week'])], 'pk_attr': 'id', 'table_description': "How many times a resource's thread was viewed in a week (Monday, UTC): the top resources"},
            bases=['Entity'],
        ),
    ]
