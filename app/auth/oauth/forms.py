"""Forms of the consent and device pages (Flask-WTF: each carries and checks a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Length

try:  # wtforms ≥ 3.3 deprecates plain tuples for choices
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover
    def SelectChoice(value, label):  # noqa: N802
        return (value, label)

ACCESS_CHOICES = [SelectChoice("read", "Read only (mcp:read)"),
                  SelectChoice("write", "Read and write (mcp:read mcp:write)")]


class ConsentForm(FlaskForm):
    access = RadioField("Access", choices=ACCESS_CHOICES, default="read")


class ApproveDeviceForm(FlaskForm):
    user_code = StringField("Code shown on your device", validators=[DataRequired(), Length(max=16)])
    access = RadioField("Access", choices=ACCESS_CHOICES, default="write")


class ConfirmForm(FlaskForm):
    """CSRF token only."""
