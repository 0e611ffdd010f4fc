"""Serving stored files to those allowed to see them.

There is deliberately no route here: a file is served only through the view of the object that owns
it (a quality record, a revision), after that view has checked the user's right to that object.
``send_stored`` is the one way those views send the bytes.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, send_file

from qms.files.models import StoredFile
from qms.files.storage import human_size, open_stored

bp = Blueprint("files", __name__, url_prefix="/files")


def send_stored(stored_file: StoredFile, filename: str):
    """Send a stored file as an attachment under *filename*, with the mimetype detected at upload.

    The caller has already checked object-level permissions. ``nosniff`` keeps a browser from
    second-guessing the type; the ETag is the content hash, which never changes for these bytes.
    """
    try:
        path = open_stored(stored_file)
    except FileNotFoundError:
        abort(404)
    response = send_file(path, mimetype=stored_file.mime_type, as_attachment=True, download_name=filename,
                         etag=stored_file.sha256, conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.filters["filesize"] = human_size
