from tortoise import migrations
from tortoise.migrations import operations as ops

# The inbox worker claims the oldest rows still open; the table keeps every handled row (for
# de-duplication), so without this index each claim scanned and sorted all of them. A partial
# index (no model field can say "WHERE … IS NULL"), written by hand, on both databases.
class Migration(migrations.Migration):
    dependencies = [('models', '0011_drop_session_version')]

    initial = False

    operations = [
        ops.RunSQL(
            'CREATE INDEX "inbox_activity_open" ON "inbox_activity" ("created_at")'
            ' WHERE "processed_at" IS NULL AND "dead_at" IS NULL',
            reverse_sql='DROP INDEX "inbox_activity_open"',
        ),
    ]
