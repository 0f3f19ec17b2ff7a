"""Alembic migration scripts, run through `store.db.upgrade` / `downgrade` (no alembic.ini).

To write revision 0002 after changing `store/models.py`, autogenerate against a scratch
database at head, then edit the result by hand (name constraints in full, freeze enum values,
keep SQLite batch mode in mind; see 0001 and env.py):

    from alembic import command
    from store.db import alembic_config, upgrade

    upgrade("sqlite:///scratch.sqlite")
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", "sqlite:///scratch.sqlite")
    command.revision(config, "what changed", autogenerate=True, rev_id="0002")

The stairway test in tests/store/test_migrations.py then runs it up, down and up again on
SQLite and PostgreSQL, and the drift tests compare the result with the models.
"""
