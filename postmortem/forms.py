"""WTForms classes for the browser; Flask-WTF adds the CSRF token to each."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from .models import SERVICE_NAME_RE, Role

ROLE_CHOICES = [SelectChoice(role.value, role.value.capitalize()) for role in Role]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Keep me logged in")


class UserCreateForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.AUTHOR.value)
    password = PasswordField(
        "Password",
        validators=[Optional(), Length(min=10, max=1024)],
        description="Leave empty to generate one; it is shown once.",
    )


class UserEditForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Active")


class TokenForm(FlaskForm):
    label = StringField(
        "Label",
        validators=[DataRequired(), Length(max=100)],
        description="What the token is for, e.g. 'GitHub Actions deploys'.",
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[DataRequired(), Length(min=10, max=1024)])


class ServiceForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[
            DataRequired(),
            Regexp(SERVICE_NAME_RE, message="Lowercase letters, digits, '.', '_' or '-'."),
        ],
    )
    team = StringField("Owning team", validators=[Optional(), Length(max=100)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])


class ConfirmForm(FlaskForm):
    """An empty form: a button that posts with a CSRF token."""
