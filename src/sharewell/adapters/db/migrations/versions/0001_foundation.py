"""foundation

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-25 20:01:20.687147
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "households",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("council_area", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
    )
    op.create_table(
        "key_buildings",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_buildings")),
    )
    op.create_table(
        "organisations",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("council_area", sa.String(length=80), nullable=True),
        sa.Column("contact_email", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_organisations")),
    )
    op.create_table(
        "postcodes",
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("district", sa.String(length=6), nullable=False),
        sa.Column("sector", sa.String(length=8), nullable=False),
        sa.Column("council_area", sa.String(length=80), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("postcode", name=op.f("pk_postcodes")),
    )
    op.create_table(
        "truth_clusters",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column("incidents", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_truth_clusters")),
    )
    op.create_table(
        "truth_families",
        sa.Column("household_id", sa.String(length=40), nullable=False),
        sa.Column("problems", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_truth_families")),
    )
    op.create_table(
        "truth_people",
        sa.Column("person_key", sa.String(length=40), nullable=False),
        sa.Column("household_id", sa.String(length=40), nullable=False),
        sa.Column("given_name", sa.String(length=120), nullable=False),
        sa.Column("family_name", sa.String(length=120), nullable=False),
        sa.Column("birth_family_name", sa.String(length=120), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=10), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("person_key", name=op.f("pk_truth_people")),
    )
    op.create_table(
        "truth_records",
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("local_id", sa.String(length=64), nullable=False),
        sa.Column("person_key", sa.String(length=40), nullable=False),
        sa.Column("errors", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("org_code", "local_id", name=op.f("pk_truth_records")),
    )
    with op.batch_alter_table("truth_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_truth_records_person_key"), ["person_key"], unique=False
        )

    op.create_table(
        "facts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("local_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("sensitivity", sa.String(length=12), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_code"], ["organisations.code"], name=op.f("fk_facts_org_code_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facts")),
    )
    with op.batch_alter_table("facts", schema=None) as batch_op:
        batch_op.create_index("ix_facts_org_local", ["org_code", "local_id"], unique=False)

    op.create_table(
        "household_members",
        sa.Column("household_id", sa.String(length=40), nullable=False),
        sa.Column("person_key", sa.String(length=40), nullable=False),
        sa.Column("relationship", sa.String(length=20), nullable=False),
        sa.Column("moved_in", sa.Date(), nullable=True),
        sa.Column("moved_out", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_members_household_id_households"),
        ),
        sa.PrimaryKeyConstraint("household_id", "person_key", name=op.f("pk_household_members")),
    )
    op.create_table(
        "practitioners",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("team", sa.String(length=120), nullable=True),
        sa.Column("manager_id", sa.String(length=40), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_code"],
            ["organisations.code"],
            name=op.f("fk_practitioners_org_code_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practitioners")),
        sa.UniqueConstraint("email", name=op.f("uq_practitioners_email")),
    )
    with op.batch_alter_table("practitioners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practitioners_org_code"), ["org_code"], unique=False)

    op.create_table(
        "source_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("local_id", sa.String(length=64), nullable=False),
        sa.Column("given_name", sa.String(length=120), nullable=False),
        sa.Column("middle_names", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=120), nullable=False),
        sa.Column("dob_year", sa.Integer(), nullable=True),
        sa.Column("dob_month", sa.Integer(), nullable=True),
        sa.Column("dob_day", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=10), nullable=False),
        sa.Column("nhs_number", sa.String(length=16), nullable=True),
        sa.Column("nhs_number_valid", sa.Boolean(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_code"],
            ["organisations.code"],
            name=op.f("fk_source_records_org_code_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_records")),
        sa.UniqueConstraint("org_code", "local_id", name=op.f("uq_source_records_org_code")),
    )
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_records_postcode"), ["postcode"], unique=False)

    op.create_table(
        "training_records",
        sa.Column("practitioner_id", sa.String(length=40), nullable=False),
        sa.Column("module", sa.String(length=80), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_training_records_practitioner_id_practitioners"),
        ),
        sa.PrimaryKeyConstraint("practitioner_id", "module", name=op.f("pk_training_records")),
    )


def downgrade() -> None:

    op.drop_table("training_records")
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_records_postcode"))

    op.drop_table("source_records")
    with op.batch_alter_table("practitioners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practitioners_org_code"))

    op.drop_table("practitioners")
    op.drop_table("household_members")
    with op.batch_alter_table("facts", schema=None) as batch_op:
        batch_op.drop_index("ix_facts_org_local")

    op.drop_table("facts")
    with op.batch_alter_table("truth_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_truth_records_person_key"))

    op.drop_table("truth_records")
    op.drop_table("truth_people")
    op.drop_table("truth_families")
    op.drop_table("truth_clusters")
    op.drop_table("postcodes")
    op.drop_table("organisations")
    op.drop_table("key_buildings")
    op.drop_table("households")
