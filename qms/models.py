"""Import every model module, so that Alembic and the audit listener see the whole schema."""

from qms.audit import models as audit_models  # noqa: F401
from qms.calendar import models as calendar_models  # noqa: F401
from qms.documents import models as document_models  # noqa: F401
from qms.external_docs import models as external_models  # noqa: F401
from qms.files import models as file_models  # noqa: F401
from qms.notifications import models as notification_models  # noqa: F401
from qms.org import models as org_models  # noqa: F401
from qms.records import models as record_models  # noqa: F401
from qms.scheduler import models as scheduler_models  # noqa: F401
from qms.signatures import models as signature_models  # noqa: F401
from qms.users import models as user_models  # noqa: F401
