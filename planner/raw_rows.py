"""Query results as the database driver's plain tuples, for loaders on hot paths."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet


def fetch_rows(queryset: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """The queryset's rows as plain tuples in one round trip: the ORM writes the SQL, the
    driver's C code builds the tuples (several times faster than the ORM's own iteration
    at 700k rows, and the values need no conversion)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
