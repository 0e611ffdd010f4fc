"""Uploaded files: checked by content, size-limited, stored under their SHA-256, served only to those allowed."""
