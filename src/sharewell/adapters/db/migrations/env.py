"""Alembic environment: runs on the connection Sharewell hands it (see migrate.py)."""

from __future__ import annotations

from alembic import context

from sharewell.adapters.db import (
    tables_alerts,  # noqa: F401  (early alerts and MASH referrals)
    tables_audit,  # noqa: F401
    tables_governance,  # noqa: F401  (registers the tables)
    tables_identity,  # noqa: F401  (registers the identity tables)
    tables_portal,  # noqa: F401  (citizen portal)
    tables_risk,  # noqa: F401  (registers the risk tables)
    tables_sharing,  # noqa: F401  (requests to share, grants, API tokens)
)
from sharewell.adapters.db.tables import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs plain `alembic`
    raise RuntimeError("Run migrations through `sharewell init`, which supplies the connection.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
