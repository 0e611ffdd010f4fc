"""User accounts, their roles and the director's signing delegations (KT. Giám đốc)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.dbtypes import UTCDateTime, enum_column
from qms.extensions import db
from qms.org.models import Position, Unit
from qms.permissions import Role
from qms.text import fold
from qms.timeutil import utcnow


class User(db.Model):
    """A person who signs in. Never deleted: deactivation keeps every trace of their work."""

    __tablename__ = "users"
    __audited__ = True
    #: Never copied into the audit log, not even hashed.
    __audit_exclude__ = frozenset({"password_hash", "search_key"})
    #: Changes to these alone are covered by explicit auth.* entries (login, failed login, lock, unlock).
    __audit_noise__ = frozenset({"last_login_at", "failed_login_count", "locked_until", "session_version", "locale"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    search_key: Mapped[str] = mapped_column(String(400), default="", index=True)  # folded, see qms.text
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    failed_login_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_on: Mapped[date | None] = mapped_column(Date)  # external auditors' accounts end on this date
    locale: Mapped[str | None] = mapped_column(String(8))
    # Bumped when the password changes or the account is deactivated: every other session ends.
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    position: Mapped[Position | None] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    delegations_received: Mapped[list[Delegation]] = relationship(
        foreign_keys="Delegation.deputy_id", lazy="selectin", viewonly=True
    )

    __table_args__ = (
        CheckConstraint("failed_login_count >= 0", name="failed_count_not_negative"),
        CheckConstraint("username = lower(username)", name="username_lowercase"),
    )

    # Flask-Login protocol ---------------------------------------------------------------------
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        """An alternative id: changing the password invalidates every other session."""
        return f"{self.id}:{self.session_version}"

    # Roles ------------------------------------------------------------------------------------
    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, role: Role) -> bool:
        return role in self.role_set

    @property
    def display_title(self) -> str:
        """Name with position, as on a signature block: "Nguyễn Văn An (Giám đốc)"."""
        return f"{self.full_name} ({self.position.name})" if self.position else self.full_name

    def refresh_search_key(self) -> None:
        self.search_key = fold(f"{self.username} {self.full_name} {self.email}")[:400]

    def is_expired(self, today: date) -> bool:
        return self.expires_on is not None and today > self.expires_on

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def __str__(self) -> str:
        return self.full_name


class UserRole(db.Model):
    """One role held by one user; changes are audited as ``user.roles_changed`` by the service."""

    __tablename__ = "user_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_rows")

    __table_args__ = (UniqueConstraint("user_id", "role"),)

    def __str__(self) -> str:
        return self.role.label


class Delegation(db.Model):
    """The director delegates signing to a deputy for a period (the deputy signs "KT. Giám đốc")."""

    __tablename__ = "delegations"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    director_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(300), default="")
    decision_ref: Mapped[str] = mapped_column(String(120), default="")  # e.g. the delegation decision number
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    director: Mapped[User] = relationship(foreign_keys=[director_id], lazy="joined")
    deputy: Mapped[User] = relationship(foreign_keys=[deputy_id], lazy="joined")

    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="period_ordered"),
        CheckConstraint("director_id <> deputy_id", name="not_to_self"),
        CheckConstraint(
            "(revoked_at IS NULL) = (revoked_by_id IS NULL)", name="revocation_complete"
        ),
    )

    def __str__(self) -> str:
        # Column values only: this is also the audit summary, written while the session flushes.
        return f"users#{self.director_id} → users#{self.deputy_id} ({self.starts_on:%d/%m/%Y}–{self.ends_on:%d/%m/%Y})"

    def covers(self, on: date) -> bool:
        return self.revoked_at is None and self.starts_on <= on <= self.ends_on
