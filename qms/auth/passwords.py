"""Password hashing (Argon2id, memory-hard) and the password policy."""

from __future__ import annotations

import re
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

# A short deny-list of passwords seen first in every breach corpus.
COMMON_PASSWORDS = frozenset({
    "password", "password1", "password123", "12345678", "123456789", "1234567890", "qwerty123",
    "abc12345", "matkhau123", "admin123", "admin@123", "iloveyou", "11111111", "00000000",
})


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=int(cfg["ARGON2_TIME_COST"]),
        memory_cost=int(cfg["ARGON2_MEMORY_COST"]),
        parallelism=int(cfg["ARGON2_PARALLELISM"]),
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when *password* matches; never raises on a malformed hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH: dict[str, str] = {}


def burn_verification_time(password: str) -> None:
    """Spend the time of one verification, so that unknown usernames cannot be told apart by timing."""
    cfg = current_app.config
    key = f"{cfg['ARGON2_TIME_COST']}:{cfg['ARGON2_MEMORY_COST']}:{cfg['ARGON2_PARALLELISM']}"
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hash_password(secrets.token_urlsafe(16))
    verify_password(_DUMMY_HASH[key], password)


def password_problems(password: str, *, username: str = "", full_name: str = "") -> list[str]:
    """The rules of the password policy that *password* breaks, as messages for the user."""
    min_length = int(current_app.config["PASSWORD_MIN_LENGTH"])
    problems = []
    if len(password) < min_length:
        problems.append(_("The password must have at least %(n)d characters.", n=min_length))
    if not re.search(r"[^\W\d_]", password) or not re.search(r"\d", password):
        problems.append(_("The password must contain both letters and digits."))
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        problems.append(_("This password is too common."))
    if username and username.lower() in lowered:
        problems.append(_("The password must not contain the username."))
    return problems


def generate_temporary_password(length: int = 14) -> str:
    """A random password that satisfies the policy (letters and digits, no look-alike characters)."""
    alphabet = "".join(ch for ch in string.ascii_letters + string.digits if ch not in "O0Il1")
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if re.search(r"[A-Za-z]", candidate) and re.search(r"\d", candidate):
            return candidate
