"""Column types shared by every domain."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import DateTime, Enum, String
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as naive UTC and gives them back as aware UTC.

    The same bytes on SQLite and PostgreSQL, so that hashes over timestamps agree.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def enum_column(enum_cls: type[enum.Enum], length: int = 32, name: str | None = None) -> Enum:
    """A VARCHAR enum stored by value (not by member name), checked by a named constraint.

    Give *name* when one table has two columns of the same enum (the constraint names must differ).
    """
    return Enum(
        enum_cls,
        values_callable=lambda members: [member.value for member in members],
        native_enum=False,
        length=length,
        validate_strings=True,
        create_constraint=True,
        name=name or f"{enum_cls.__name__.lower()}_enum",
    )


__all__ = ["UTCDateTime", "enum_column", "String"]
