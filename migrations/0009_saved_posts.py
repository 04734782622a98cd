from tortoise import migrations
from tortoise.migrations import operations as ops
from server.models._base import new_id
from server.models.recognition import CreditKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_analytics')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SavedPost',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_id, unique=True, db_index=True, max_length=26)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='saved_posts', on_delete=OnDelete.CASCADE)),
                ('post', fields.ForeignKeyField('models.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='saves', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'saved_post', 'app': 'models', 'unique_together': (('account', 'post'),), 'indexes': [Index(fields=['account_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A post a member saved to come back to (a bookmark, as on Discourse or LinkedIn).'},
            bases=['Entity'],
        ),
        ops.AlterField(
            model_name='Credit',
            name='kind',
            field=fields.CharEnumField(description='ANSWER_ACCEPTED: answer_accepted\nLIKE_RECEIVED: like_received\nRESOURCE_PINNED: resource_pinned\nRESOURCE_SAVED: resource_saved\nNEWCOMER_WELCOMED: newcomer_welcomed', enum_type=CreditKind, max_length=32),
        ),
    ]
