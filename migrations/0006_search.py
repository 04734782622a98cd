"""Full-text search: the index tables for SQLite (FTS5) or PostgreSQL (tsvector + GIN), filled
with every published post."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

from server.services.search._backends import drop_statements, schema_statements
from server.services.search.index import backfill
from server.settings import Settings


async def create_and_fill(apps: Any, schema_editor: Any) -> None:
    db = schema_editor.client
    language = Settings().search_language
    for statement in schema_statements(db.capabilities.dialect, language):
        await db.execute_script(statement)
    await backfill(db, language)


async def drop(apps: Any, schema_editor: Any) -> None:
    db = schema_editor.client
    for statement in drop_statements(db.capabilities.dialect):
        await db.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0005_read_indexes")]

    initial = False

    operations = [ops.RunPython(create_and_fill, drop)]
