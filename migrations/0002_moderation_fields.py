from tortoise import migrations
from tortoise.migrations import operations as ops
from server.models.accounts import AccountState
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="Account",
            name="state",
            field=fields.CharEnumField(
                default=AccountState.ACTIVE,
                description="ACTIVE: active\nPENDING: pending\nSUSPENDED: suspended\nDELETED: deleted",
                enum_type=AccountState,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="Actor",
            name="deleted_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Post",
            name="held_reason",
            field=fields.CharField(default="", max_length=32),
        ),
        ops.AddField(
            model_name="Report",
            name="forwarded_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
