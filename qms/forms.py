"""Form fields shared by every domain."""

from __future__ import annotations

from datetime import datetime

import flask_babel
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError


class _BabelTranslations:
    """WTForms' own messages through our catalogue (WTForms ships no Vietnamese translation)."""

    def gettext(self, string):
        return flask_babel.gettext(string)

    def ngettext(self, singular, plural, n):
        return flask_babel.ngettext(singular, plural, n)


_TRANSLATIONS = _BabelTranslations()


class BaseForm(FlaskForm):
    """Every form of the application: validation messages in the user's language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _TRANSLATIONS


def _wtforms_messages():  # never called: lists WTForms' messages for extraction into our catalogue
    gettext, ngettext = flask_babel.gettext, flask_babel.ngettext
    return [
        gettext("This field is required."), gettext("Invalid email address."), gettext("Invalid input."),
        gettext("Not a valid choice."), gettext("Invalid Choice: could not coerce."),
        gettext("Invalid choice(s): one or more data inputs could not be coerced."),
        gettext("Not a valid integer value."), gettext("Not a valid decimal value."),
        gettext("Not a valid float value."), gettext("Not a valid date value."),
        gettext("Not a valid datetime value."), gettext("Not a valid time value."),
        gettext("Number must be at least %(min)s."), gettext("Number must be at most %(max)s."),
        gettext("Number must be between %(min)s and %(max)s."), gettext("Field must be equal to %(other_name)s."),
        gettext("Field must be between %(min)d and %(max)d characters long."), gettext("Invalid URL."),
        gettext("Invalid value, must be one of: %(values)s."),
        ngettext("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long.", 1),
        ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 1),
        ngettext("Field must be exactly %(max)d character long.", "Field must be exactly %(max)d characters long.", 1),
        ngettext("'%(value)s' is not a valid choice for this field.",
                 "'%(value)s' are not valid choices for this field.", 1),
    ]


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
