from tortoise import migrations
from tortoise.migrations import operations as ops
from server.models._base import new_id
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_moderation_fields')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SeenSignature',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'seen_signature', 'app': 'models', 'pk_attr': 'key', 'table_description': 'A signature the inbox accepted, kept while its date is in the window (replays refused).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_id, unique=True, db_index=True, max_length=26)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('user_agent', fields.CharField(default='', max_length=255)),
                ('ip_address', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A logged-in browser, found by the hash of the random token its cookie holds.'},
            bases=['Entity'],
        ),
        ops.AlterField(
            model_name='InboxActivity',
            name='ap_id',
            field=fields.CharField(max_length=2048),
        ),
        ops.AddField(
            model_name='InboxActivity',
            name='dead_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        # Rows stored before keep their own id as key (unique, and never matched again: the
        # domain services are idempotent, so a re-sent old activity changes nothing twice).
        ops.AddField(
            model_name='InboxActivity',
            name='dedup_key',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='InboxActivity',
            name='origin',
            field=fields.CharField(null=True, max_length=300),
        ),
        ops.RunSQL(
            'UPDATE "inbox_activity" SET "dedup_key" = "id", "origin" = \'\'', reverse_sql=''
        ),
        ops.AlterField(
            model_name='InboxActivity',
            name='origin',
            field=fields.CharField(default='', max_length=300),
        ),
        ops.AlterField(
            model_name='InboxActivity',
            name='dedup_key',
            field=fields.CharField(unique=True, max_length=64),
        ),

    ]
