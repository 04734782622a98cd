from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from server.models._base import new_id
from server.models.groups import GroupVisibility
from server.models.notifications import NotificationKind
from server.models.recognition import CreditKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_search')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Badge',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_id, unique=True, db_index=True, max_length=26)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=80)),
                ('description', fields.TextField(default='', unique=False)),
                ('builtin', fields.BooleanField(default=False)),
                ('created_by', fields.ForeignKeyField('models.Account', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='badges_created', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'badge', 'app': 'models', 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='BadgeAward',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_id, unique=True, db_index=True, max_length=26)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('badge', fields.ForeignKeyField('models.Badge', source_field='badge_id', db_constraint=True, to_field='id', related_name='awards', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.Actor', source_field='actor_id', db_constraint=True, to_field='id', related_name='badge_awards', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='badge_awards', on_delete=OnDelete.CASCADE)),
                ('awarded_by', fields.ForeignKeyField('models.Account', source_field='awarded_by_id', null=True, db_constraint=True, to_field='id', related_name='badges_awarded', on_delete=OnDelete.SET_NULL)),
                ('reason', fields.TextField(default='', unique=False)),
                ('dedup_key', fields.CharField(unique=True, max_length=128)),
            ],
            options={'table': 'badge_award', 'app': 'models', 'indexes': [Index(fields=['actor_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Credit',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_id, unique=True, db_index=True, max_length=26)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('earner', fields.ForeignKeyField('models.Actor', source_field='earner_id', db_constraint=True, to_field='id', related_name='credits', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='credits', on_delete=OnDelete.CASCADE)),
                ('post', fields.ForeignKeyField('models.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='credits', on_delete=OnDelete.CASCADE)),
                ('giver', fields.ForeignKeyField('models.Actor', source_field='giver_id', null=True, db_constraint=True, to_field='id', related_name='credits_given', on_delete=OnDelete.SET_NULL)),
                ('giver_domain', fields.CharField(default='', max_length=253)),
                ('kind', fields.CharEnumField(description='ANSWER_ACCEPTED: answer_accepted\nLIKE_RECEIVED: like_received\nRESOURCE_PINNED: resource_pinned\nNEWCOMER_WELCOMED: newcomer_welcomed', enum_type=CreditKind, max_length=32)),
                ('points', fields.IntField()),
                ('dedup_key', fields.CharField(unique=True, max_length=128)),
            ],
            options={'table': 'credit', 'app': 'models', 'indexes': [Index(fields=['group_id', 'created_at']), Index(fields=['earner_id', 'group_id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='ThreadViewDay',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_id, unique=True, db_index=True, max_length=26)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('thread', fields.ForeignKeyField('models.Post', source_field='thread_id', db_constraint=True, to_field='id', related_name='view_days', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='view_days', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField()),
                ('views', fields.IntField(default=0)),
            ],
            options={'table': 'thread_view_day', 'app': 'models', 'unique_together': (('thread', 'day'),), 'indexes': [Index(fields=['group_id', 'day'])], 'pk_attr': 'id', 'table_description': "How many times a thread's page was viewed on one day: a count, no IP, no reader."},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='Account',
            name='last_active_at',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Group',
            name='join_questions',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Group',
            name='visibility',
            field=fields.CharEnumField(default=GroupVisibility.PUBLIC, description='PUBLIC: public\nMEMBERS: members', enum_type=GroupVisibility, max_length=16),
        ),
        ops.AddField(
            model_name='InstanceConfig',
            name='new_account_link_days',
            field=fields.IntField(default=7),
        ),
        ops.AlterModelOptions(
            name='Invite',
            options={'table': 'invite', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An invitation link: to sign up on this instance, and with `group` set, to join that group.'},
        ),
        ops.AddField(
            model_name='Invite',
            name='email',
            field=fields.CharField(default='', max_length=254),
        ),
        ops.AddField(
            model_name='Invite',
            name='group',
            field=fields.ForeignKeyField('models.Group', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='invites', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Membership',
            name='answers',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='REPLY: reply\nMENTION: mention\nANSWER_ACCEPTED: answer_accepted\nJOIN_ACCEPTED: join_accepted\nJOIN_REJECTED: join_rejected\nJOIN_REQUEST: join_request\nWATCHED_REPLY: watched_reply\nWATCHED_POST: watched_post\nREPORT_FILED: report_filed\nREPORT_OUTCOME: report_outcome\nCONTENT_REMOVED: content_removed\nPOST_HELD: post_held\nHELD_FOR_REVIEW: held_for_review\nHELD_APPROVED: held_approved\nHELD_REJECTED: held_rejected\nSIGNUP_WAITING: signup_waiting\nBADGE_AWARDED: badge_awarded\nGROUP_INVITE: group_invite', enum_type=NotificationKind, max_length=32),
        ),
    ]
