"""Administrative procedures (TTHC), their process maps and versions, dossiers and step timing.

Built by the process-maps and dossiers issues; depends only on the kernel ``qms``.
``init_app`` registers the blueprint, the navigation, the guard that keeps signed process maps
unchanged and the document-control extension that ties a process version to its revision.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # models before the first query; import_views puts the .xlsx routes on bp before views registers it
    from processes import commands, extension, guards, import_views, models, seeding, views  # noqa: F401
    from processes.dossiers import models as dossier_models  # noqa: F401
    from qms.seeding import add_demo_step

    guards.install()
    extension.register()
    views.init_app(app)
    from processes.dossiers import views as dossier_views
    dossier_views.init_app(app)
    from processes.dossiers import report_views
    report_views.init_app(app)
    from processes.dossiers import api_models, xes_commands, xes_views  # noqa: F401 - xes: logs, API, export
    xes_views.init_app(app)
    xes_commands.init_app(app)
    commands.init_app(app)
    add_demo_step(app, 15, seeding.load_procedures_demo)  # after the external register, before the documents
    add_demo_step(app, 25, seeding.abolish_procedures_demo)  # after the documents: their maps predate it
    from processes.dossiers import seeding as dossier_seeding
    add_demo_step(app, 50, dossier_seeding.load_dossiers_demo)  # after the documents and the procedures
    from processes.dossiers import analysis_cli, analysis_views, rollups  # noqa: F401 - timeliness analysis
    analysis_views.init_app(app)
    analysis_cli.init_app(app)
    from processes.dossiers import import_commands, import_models  # noqa: F401 - .xlsx/.csv imports of dossiers
    from processes.dossiers import import_views as dossier_import_views
    dossier_import_views.init_app(app)
    import_commands.init_app(app)
