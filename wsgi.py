"""WSGI entry point for production servers: ``gunicorn wsgi:app`` (QMS_ENV=production)."""

from qms import create_app

app = create_app()
