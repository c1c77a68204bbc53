"""Sign-up and sign-in forms (Flask-WTF: each carries and checks a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from app.accounts.services import MIN_PASSWORD


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class SignupForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254),
                                            Regexp(r"^[^@\s]+@[^@\s]+$", message="Enter a valid email address.")])
    display_name = StringField("Display name", validators=[Length(max=100)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200)])


class LogoutForm(FlaskForm):
    """No fields: the CSRF token is the point, so no other site can sign a user out."""
