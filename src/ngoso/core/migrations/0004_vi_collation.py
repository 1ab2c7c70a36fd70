"""The Vietnamese collation ``vi_natural`` on PostgreSQL (ICU: Vietnamese alphabet, numbers by value).

SQLite gets the same name from ``core/sqlite`` on every connection (``core.text.vi_compare``); ``core.text.vi_order``
orders by it on both. Without ICU (a PostgreSQL built without it) the collation falls back to the database's
default so that queries still run; the order is then by code point, as before.
"""

from django.db import migrations

ICU = "CREATE COLLATION IF NOT EXISTS vi_natural (provider = icu, locale = 'vi-u-kn-true')"
FALLBACK = 'CREATE COLLATION IF NOT EXISTS vi_natural FROM "default"'


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        cur.execute("SAVEPOINT vi_collation")
        try:
            cur.execute(ICU)
        except Exception:  # noqa: BLE001 - no ICU: keep queries working
            cur.execute("ROLLBACK TO SAVEPOINT vi_collation")
            cur.execute(FALLBACK)
        cur.execute("RELEASE SAVEPOINT vi_collation")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP COLLATION IF EXISTS vi_natural")


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_job_queue_lease_taskrun"),
    ]

    operations = [migrations.RunPython(create, drop)]
