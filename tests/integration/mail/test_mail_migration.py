"""Migration 0003 creates the table that store/models.py describes."""

from __future__ import annotations

from aspel.licensing.server.app import Services
from aspel.licensing.server.store.models import PasswordReset


def test_password_reset_table_matches_the_model(services: Services) -> None:
    database = services.store.database
    columns = {c.name: c for c in database.get_columns("password_reset")}
    assert set(columns) == {f.column_name for f in PasswordReset._meta.sorted_fields}
    assert columns["use_time"].null and not columns["expire_time"].null
    indexes = {tuple(i.columns): i.unique for i in database.get_indexes("password_reset")}
    assert indexes[("token_hash",)] is True
    assert indexes[("account_id", "use_time")] is False
    [foreign_key] = database.get_foreign_keys("password_reset")
    assert (foreign_key.column, foreign_key.dest_table) == ("account_id", "account")
