"""Signing in and out, passwords, lockout (Flask-Login)."""
