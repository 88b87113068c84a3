"""One process at a time leads a job (the alert dispatcher), on both databases."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import Engine, text

from sharewell.adapters.db.engine import make_engine
from sharewell.adapters.db.leadership import Leadership, job_lock_key


def _leads_from_another_process(url: str, job: str) -> bool:
    engine = make_engine(url)
    try:
        leader = Leadership(engine, job)
        got = leader.try_lead()
        leader.release()
        return got
    finally:
        engine.dispose()


def test_only_one_leads_until_it_steps_down(engine: Engine, database_url: str) -> None:
    other_engine = make_engine(database_url)
    first = Leadership(engine, "alert-dispatcher")
    second = Leadership(other_engine, "alert-dispatcher")
    try:
        assert first.try_lead()
        assert first.try_lead()  # asking again while leading changes nothing
        assert not second.try_lead()
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            elsewhere = pool.apply(_leads_from_another_process, (database_url, "alert-dispatcher"))
        assert elsewhere is False
        first.release()
        assert not first.leading
        if engine.dialect.name == "postgresql":
            # Released by the time release() returns, not when the server notices the
            # connection closed: nobody holds an advisory lock in this database now.
            with engine.connect() as conn:
                held = conn.execute(
                    text(
                        "select count(*) from pg_locks where locktype = 'advisory' and database ="
                        " (select oid from pg_database where datname = current_database())"
                    )
                ).scalar_one()
            assert held == 0
        assert second.try_lead()
        assert not first.try_lead()
    finally:
        first.release()
        second.release()
        other_engine.dispose()


def test_different_jobs_have_different_leaders(engine: Engine, database_url: str) -> None:
    other_engine = make_engine(database_url)
    one = Leadership(engine, "alert-dispatcher")
    two = Leadership(other_engine, "another-job")
    try:
        assert one.try_lead()
        assert two.try_lead()
    finally:
        one.release()
        two.release()
        other_engine.dispose()
    assert job_lock_key("alert-dispatcher") != job_lock_key("another-job")
    assert 0 <= job_lock_key("alert-dispatcher") < 2**63
