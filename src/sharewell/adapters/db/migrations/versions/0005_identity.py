"""identity: ingest history, quarantine, match keys, people, person events, review queue

Revision ID: 0005_identity
Revises: 0006_risk
Create Date: 2026-11-25 20:13:34.881158
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_identity"
down_revision = "0006_risk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_people_merged_into"), ["merged_into"], unique=False)

    op.create_table(
        "person_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("other_ids", sa.JSON(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_events")),
    )
    with op.batch_alter_table("person_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_events_person_id"), ["person_id"], unique=False)

    op.create_table(
        "quarantined_rows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("raw_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_rows")),
    )
    with op.batch_alter_table("quarantined_rows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quarantined_rows_org_code"), ["org_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quarantined_rows_raw_hash"), ["raw_hash"], unique=False
        )

    op.create_table(
        "match_records",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("given_name", sa.String(length=120), nullable=True),
        sa.Column("given_canonical", sa.String(length=120), nullable=True),
        sa.Column("middle_names", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=120), nullable=True),
        sa.Column("family_phonetic", sa.String(length=20), nullable=True),
        sa.Column("dob", sa.String(length=10), nullable=True),
        sa.Column("dob_year", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=10), nullable=True),
        sa.Column("nhs_number", sa.String(length=10), nullable=True),
        sa.Column("shared_id", sa.String(length=40), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("postcode_sector", sa.String(length=10), nullable=True),
        sa.Column("postcode_district", sa.String(length=6), nullable=True),
        sa.Column("address_tokens", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["source_records.id"],
            name=op.f("fk_match_records_record_id_source_records"),
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_match_records")),
    )
    with op.batch_alter_table("match_records", schema=None) as batch_op:
        batch_op.create_index("ix_match_records_dob", ["dob"], unique=False)
        batch_op.create_index(
            "ix_match_records_family_year", ["family_phonetic", "dob_year"], unique=False
        )
        batch_op.create_index(
            "ix_match_records_given_year", ["given_canonical", "dob_year"], unique=False
        )
        batch_op.create_index(
            "ix_match_records_names_year",
            ["family_phonetic", "given_canonical", "dob_year"],
            unique=False,
        )
        batch_op.create_index("ix_match_records_nhs", ["nhs_number"], unique=False)
        batch_op.create_index(
            "ix_match_records_postcode_given", ["postcode", "given_canonical"], unique=False
        )
        batch_op.create_index(
            "ix_match_records_sector_surname", ["postcode_sector", "family_phonetic"], unique=False
        )
        batch_op.create_index("ix_match_records_shared", ["shared_id"], unique=False)
        batch_op.create_index(
            "ix_match_records_swapped", ["given_name", "family_name"], unique=False
        )

    op.create_table(
        "person_links",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["source_records.id"],
            name=op.f("fk_person_links_record_id_source_records"),
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_person_links")),
    )
    with op.batch_alter_table("person_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_links_person_id"), ["person_id"], unique=False)

    op.create_table(
        "review_pairs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_l", sa.Integer(), nullable=False),
        sa.Column("record_r", sa.Integer(), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("waterfall", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.String(length=40), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_l"],
            ["source_records.id"],
            name=op.f("fk_review_pairs_record_l_source_records"),
        ),
        sa.ForeignKeyConstraint(
            ["record_r"],
            ["source_records.id"],
            name=op.f("fk_review_pairs_record_r_source_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_pairs")),
        sa.UniqueConstraint("record_l", "record_r", name=op.f("uq_review_pairs_record_l")),
    )
    with op.batch_alter_table("review_pairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_pairs_status"), ["status"], unique=False)

    op.create_table(
        "source_record_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["source_records.id"],
            name=op.f("fk_source_record_versions_record_id_source_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_record_versions")),
        sa.UniqueConstraint(
            "record_id", "version", name=op.f("uq_source_record_versions_record_id")
        ),
    )
    with op.batch_alter_table("source_record_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_source_record_versions_record_id"), ["record_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("source_record_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_record_versions_record_id"))

    op.drop_table("source_record_versions")
    with op.batch_alter_table("review_pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_pairs_status"))

    op.drop_table("review_pairs")
    with op.batch_alter_table("person_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_links_person_id"))

    op.drop_table("person_links")
    with op.batch_alter_table("match_records", schema=None) as batch_op:
        batch_op.drop_index("ix_match_records_swapped")
        batch_op.drop_index("ix_match_records_shared")
        batch_op.drop_index("ix_match_records_sector_surname")
        batch_op.drop_index("ix_match_records_postcode_given")
        batch_op.drop_index("ix_match_records_nhs")
        batch_op.drop_index("ix_match_records_names_year")
        batch_op.drop_index("ix_match_records_given_year")
        batch_op.drop_index("ix_match_records_family_year")
        batch_op.drop_index("ix_match_records_dob")

    op.drop_table("match_records")
    with op.batch_alter_table("quarantined_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantined_rows_raw_hash"))
        batch_op.drop_index(batch_op.f("ix_quarantined_rows_org_code"))

    op.drop_table("quarantined_rows")
    with op.batch_alter_table("person_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_events_person_id"))

    op.drop_table("person_events")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_merged_into"))

    op.drop_table("people")
