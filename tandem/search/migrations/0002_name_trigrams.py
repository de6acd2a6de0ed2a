from django.db import migrations


def install(apps, schema_editor):
    from tandem.search import engines

    engines.install_name_indexes(schema_editor.connection)


def uninstall(apps, schema_editor):
    from tandem.search import engines

    engines.uninstall_name_indexes(schema_editor.connection)


class Migration(migrations.Migration):
    # PostgreSQL only (the extension and the indexes are not Django fields); a no-op on
    # SQLite. pg_trgm is a trusted extension: the database's owner may create it.
    dependencies = [
        ("search", "0001_post_index"),
        ("accounts", "0003_email_not_unique"),
        ("muses", "0003_nicknames_card_data"),
        ("threads", "0007_post_newest_index"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
