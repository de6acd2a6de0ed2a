from django.db import migrations


def install(apps, schema_editor):
    from tandem.search import engines

    engines.install(schema_editor.connection)
    # Existing posts: fill the index now (the triggers only see later writes).
    engines.rebuild(connection=schema_editor.connection)


def uninstall(apps, schema_editor):
    from tandem.search import engines

    engines.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    # Nothing to undo half-way on PostgreSQL; SQLite needs the virtual table created outside
    # Django's own bookkeeping, which RunPython allows.
    dependencies = [("threads", "0005_invitation_claims")]

    operations = [migrations.RunPython(install, uninstall)]
