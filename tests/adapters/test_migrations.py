from sqlalchemy import inspect

from sharewell.adapters.db.engine import make_engine
from sharewell.adapters.db.migrate import current_revision, head_revision, upgrade


def test_migrating_twice_changes_nothing(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    before, after = upgrade(engine)
    assert before is None
    assert after == head_revision()
    tables = set(inspect(engine).get_table_names())
    again = upgrade(engine)
    assert again == (head_revision(), head_revision())
    assert set(inspect(engine).get_table_names()) == tables
    assert current_revision(engine) == head_revision()
    assert {"organisations", "practitioners", "source_records", "facts"} <= tables
    engine.dispose()
