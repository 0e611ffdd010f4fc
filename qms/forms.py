"""Form fields shared by every domain."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError


class VNDateField(StringField):
    """A date typed as dd/mm/yyyy (ISO yyyy-mm-dd also accepted), shown as dd/mm/yyyy in every locale."""

    FORMATS = ("%d/%m/%Y", "%Y-%m-%d")

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off",
                     **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%d/%m/%Y") if self.data else ""

    def process_formdata(self, valuelist):
        text = " ".join(valuelist).strip() if valuelist else ""
        self.data = None
        if not text:
            return
        for fmt in self.FORMATS:
            try:
                self.data = datetime.strptime(text, fmt).date()
                return
            except ValueError:
                continue
        raise ValidationError(_l("Enter a date as dd/mm/yyyy."))
