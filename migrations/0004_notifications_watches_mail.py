from tortoise import migrations
from tortoise.migrations import operations as ops
from server.models._base import new_id
from server.models.notifications import DigestFrequency, MailCadence, MailState, NotificationKind, WatchLevel
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_inbox_origin_sessions_replays')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MailPreferences',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_id, unique=True, db_index=True, max_length=26)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('account', fields.OneToOneField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='mail_preferences', on_delete=OnDelete.CASCADE)),
                ('no_email', fields.BooleanField(default=False)),
                ('replies', fields.CharEnumField(default=MailCadence.IMMEDIATE, description='IMMEDIATE: immediate\nDAILY: daily\nWEEKLY: weekly\nNEVER: never', enum_type=MailCadence, max_length=16)),
                ('mentions', fields.CharEnumField(default=MailCadence.IMMEDIATE, description='IMMEDIATE: immediate\nDAILY: daily\nWEEKLY: weekly\nNEVER: never', enum_type=MailCadence, max_length=16)),
                ('answers', fields.CharEnumField(default=MailCadence.IMMEDIATE, description='IMMEDIATE: immediate\nDAILY: daily\nWEEKLY: weekly\nNEVER: never', enum_type=MailCadence, max_length=16)),
                ('moderation', fields.CharEnumField(default=MailCadence.IMMEDIATE, description='IMMEDIATE: immediate\nDAILY: daily\nWEEKLY: weekly\nNEVER: never', enum_type=MailCadence, max_length=16)),
                ('digest', fields.CharEnumField(default=DigestFrequency.WEEKLY, description='DAILY: daily\nWEEKLY: weekly\nNEVER: never', enum_type=DigestFrequency, max_length=16)),
                ('digest_hour', fields.IntField(default=8)),
                ('digest_weekday', fields.IntField(default=0)),
                ('time_zone', fields.CharField(default='UTC', max_length=64)),
                ('last_digest_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('next_digest_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mail_preferences', 'app': 'models', 'pk_attr': 'id', 'table_description': 'How a member wants mail. A member with no row has the defaults below.'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='OutgoingMail',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_id, unique=True, db_index=True, max_length=26)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='outgoing_mail', on_delete=OnDelete.SET_NULL)),
                ('to_address', fields.CharField(max_length=254)),
                ('kind', fields.CharField(max_length=32)),
                ('dedup_key', fields.CharField(unique=True, max_length=128)),
                ('subject', fields.CharField(max_length=300)),
                ('text_body', fields.TextField(unique=False)),
                ('html_body', fields.TextField(default='', unique=False)),
                ('unsubscribe_url', fields.CharField(default='', max_length=2048)),
                ('state', fields.CharEnumField(default=MailState.QUEUED, description='QUEUED: queued\nSENT: sent\nDEAD: dead', enum_type=MailState, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outgoing_mail', 'app': 'models', 'indexes': [Index(fields=['state', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One message to send. `dedup_key` makes queueing the same message twice a no-op.'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Watch',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_id, unique=True, db_index=True, max_length=26)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='watches', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='watches', on_delete=OnDelete.CASCADE)),
                ('thread', fields.ForeignKeyField('models.Post', source_field='thread_id', null=True, db_constraint=True, to_field='id', related_name='watches', on_delete=OnDelete.CASCADE)),
                ('level', fields.CharEnumField(description='WATCHING: watching\nMUTED: muted', enum_type=WatchLevel, max_length=16)),
            ],
            options={'table': 'watch', 'app': 'models', 'unique_together': (('account', 'group'), ('account', 'thread')), 'pk_attr': 'id', 'table_description': 'A member watching or muting one thread (its root post) or one group.'},
            bases=['Entity'],
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='REPLY: reply\nMENTION: mention\nANSWER_ACCEPTED: answer_accepted\nJOIN_ACCEPTED: join_accepted\nJOIN_REJECTED: join_rejected\nJOIN_REQUEST: join_request\nWATCHED_REPLY: watched_reply\nWATCHED_POST: watched_post\nREPORT_FILED: report_filed\nREPORT_OUTCOME: report_outcome\nCONTENT_REMOVED: content_removed\nPOST_HELD: post_held\nHELD_FOR_REVIEW: held_for_review\nHELD_APPROVED: held_approved\nHELD_REJECTED: held_rejected\nSIGNUP_WAITING: signup_waiting', enum_type=NotificationKind, max_length=32),
        ),
        ops.AddField(
            model_name='Notification',
            name='report',
            field=fields.ForeignKeyField('models.Report', source_field='report_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Notification',
            name='text',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.RunSQL('UPDATE "notification" SET "text" = \'\'', reverse_sql=''),
        ops.AlterField(
            model_name='Notification',
            name='text',
            field=fields.CharField(default='', max_length=500),
        ),
    ]
