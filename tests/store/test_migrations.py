"""Migrations: upgrade from empty, the stairway over every revision, schema checks, no drift."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from store.db import (
    SchemaOutOfDate,
    alembic_config,
    check_schema,
    current_revisions,
    downgrade,
    head_revisions,
    upgrade,
)
from store.models import metadata

OUT_OF_DATE = "The database schema is out of date; run `diarydesk db upgrade`."

OpenEngine = Callable[[str], sa.Engine]


def _revisions_oldest_first() -> list[tuple[str, str]]:
    """(revision, the revision below it or "base") for every migration script."""
    script = ScriptDirectory.from_config(alembic_config())
    steps = []
    for revision in script.walk_revisions():
        below = revision.down_revision
        if below is not None and not isinstance(below, str):
            raise AssertionError(f"{revision.revision} merges {below}; extend the stairway test")
        steps.append((revision.revision, below or "base"))
    return list(reversed(steps))


REVISIONS = _revisions_oldest_first()


def test_there_is_one_head() -> None:
    assert len(head_revisions()) == 1, "merge the migration branches"


def test_upgrade_from_empty_reaches_head(db_url: str, open_engine: OpenEngine) -> None:
    upgrade(db_url)
    engine = open_engine(db_url)
    assert current_revisions(engine) == head_revisions()
    check_schema(engine)


@pytest.mark.parametrize(("revision", "below"), REVISIONS, ids=[r for r, _ in REVISIONS])
def test_stairway_up_down_up(
    db_url: str, open_engine: OpenEngine, revision: str, below: str
) -> None:
    upgrade(db_url, revision)
    downgrade(db_url, below)
    upgrade(db_url, revision)
    assert current_revisions(open_engine(db_url)) == (revision,)


def test_downgrade_one_step_then_back(db_url: str, open_engine: OpenEngine) -> None:
    upgrade(db_url)
    downgrade(db_url, "-1")
    engine = open_engine(db_url)
    with pytest.raises(SchemaOutOfDate):
        check_schema(engine)
    upgrade(db_url)
    check_schema(engine)


def test_check_schema_names_the_command_on_an_empty_database(
    db_url: str, open_engine: OpenEngine
) -> None:
    with pytest.raises(SchemaOutOfDate) as caught:
        check_schema(open_engine(db_url))
    assert str(caught.value) == OUT_OF_DATE
    assert caught.value.current == ()
    assert caught.value.expected == head_revisions()


def test_check_schema_refuses_an_unknown_revision(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    with pytest.raises(SchemaOutOfDate, match="diarydesk db upgrade"):
        check_schema(engine)


def test_models_match_the_migrated_database(engine: sa.Engine) -> None:
    """The `alembic check` equivalent: autogenerate finds nothing to do at head."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def _reflect(engine: sa.Engine) -> dict[str, dict[str, Any]]:
    """Every table's constraints and indexes as the database reports them, names included."""
    inspector = sa.inspect(engine)

    def by_name(items: list[Any]) -> list[Any]:
        return sorted(items, key=lambda item: str(item["name"]))

    return {
        table: {
            "pk": inspector.get_pk_constraint(table),
            "fk": by_name(inspector.get_foreign_keys(table)),
            "uq": by_name(inspector.get_unique_constraints(table)),
            "ck": by_name(inspector.get_check_constraints(table)),
            "ix": by_name(inspector.get_indexes(table)),
        }
        for table in sorted(inspector.get_table_names())
        if table != "alembic_version"
    }


def test_migration_creates_what_the_models_would(
    engine: sa.Engine, make_db_url: Callable[[], str], open_engine: OpenEngine
) -> None:
    """Names, CHECKs and partial-index conditions too, which autogenerate does not compare."""
    from_models = open_engine(make_db_url())
    metadata.create_all(from_models)
    assert _reflect(engine) == _reflect(from_models)


def test_downgrade_to_base_removes_everything(db_url: str, open_engine: OpenEngine) -> None:
    upgrade(db_url)
    engine = open_engine(db_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO audit_log (at, actor, action, entity, detail)"
                " VALUES (CURRENT_TIMESTAMP, 'test', 'create', 'case', '{}')"
            )
        )
    downgrade(db_url, "base")
    assert sa.inspect(engine).get_table_names() == ["alembic_version"]
    assert current_revisions(engine) == ()
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            leftover = connection.execute(
                sa.text("SELECT count(*) FROM pg_proc WHERE proname = 'audit_log_refuse_change'")
            ).scalar_one()
        assert leftover == 0
