"""A draft's attached files and its citations of external documents (tài liệu viện dẫn, căn cứ)."""

from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from qms.documents import services
from qms.documents.models import Revision, RevisionFile
from qms.documents.revision_views import load_revision
from qms.documents.views import bp
from qms.extensions import db
from qms.external_docs import services as external
from qms.external_docs.models import ExternalDocument
from qms.files.views import send_stored
from qms.permissions import Permission, require_permission
from qms.web import perform



def _do(revision: Revision, action, done: str):
    back = url_for("documents.edit_revision", document_id=revision.document_id, revision_id=revision.id)
    return perform(action, done=done, back=back + request.form.get("anchor", ""))


@bp.post("/<int:document_id>/revisions/<int:revision_id>/files")
@require_permission(Permission.DOCUMENTS_DRAFT)
def attach(document_id: int, revision_id: int):
    revision = load_revision(document_id, revision_id)
    return _do(revision, lambda: services.attach_file(revision, request.files.get("file"), actor=current_user),
               _("File attached."))


@bp.post("/<int:document_id>/revisions/<int:revision_id>/files/<int:file_id>/remove")
@require_permission(Permission.DOCUMENTS_DRAFT)
def detach(document_id: int, revision_id: int, file_id: int):
    revision = load_revision(document_id, revision_id)
    attached = db.get_or_404(RevisionFile, file_id)
    return _do(revision, lambda: services.detach_file(revision, attached, actor=current_user), _("File removed."))


@bp.get("/<int:document_id>/revisions/<int:revision_id>/files/<int:file_id>")
@require_permission(Permission.DOCUMENTS_VIEW)
def download(document_id: int, revision_id: int, file_id: int):
    revision = load_revision(document_id, revision_id)
    attached = db.get_or_404(RevisionFile, file_id)
    if attached.revision_id != revision.id:
        abort(404)
    return send_stored(attached.file, attached.filename)


@bp.post("/<int:document_id>/revisions/<int:revision_id>/citations")
@require_permission(Permission.DOCUMENTS_DRAFT)
def cite(document_id: int, revision_id: int):
    revision = load_revision(document_id, revision_id)
    cited = db.get_or_404(ExternalDocument, request.form.get("external_document_id", type=int) or 0)
    return _do(revision, lambda: external.cite(revision, cited, actor=current_user,
                                               note=request.form.get("note", "")[:300]),
               _("%(number)s cited.", number=cited.number))


@bp.post("/<int:document_id>/revisions/<int:revision_id>/citations/<int:external_id>/remove")
@require_permission(Permission.DOCUMENTS_DRAFT)
def uncite(document_id: int, revision_id: int, external_id: int):
    revision = load_revision(document_id, revision_id)
    cited = db.get_or_404(ExternalDocument, external_id)
    return _do(revision, lambda: external.uncite(revision, cited, actor=current_user),
               _("Citation of %(number)s removed.", number=cited.number))
