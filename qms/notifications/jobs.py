"""Jobs of the notifications domain (run by ``qms scheduler`` or ``qms run-job``, never in a web worker)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from qms.notifications import services


def send_emails(now: datetime) -> str:
    """E-mail the notifications nobody has read or received by e-mail yet (off unless SMTP_HOST is set)."""
    if not current_app.config.get("SMTP_HOST"):
        return "e-mail is off (SMTP_HOST is empty)"
    return str(services.send_pending_emails(now))
