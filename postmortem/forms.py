"""WTForms classes for the browser; Flask-WTF adds the CSRF token to each."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    Form,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from .errors import ValidationError as InvalidFields
from .models import Role
from .schemas import Schema, ServiceIn, parse

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


class SchemaRule:
    """A WTForms validator that applies the rule of one field of an API schema, so a form and
    the API accept exactly the same values."""

    def __init__(self, schema: type[Schema], name: str | None = None) -> None:
        self.schema = schema
        self.name = name

    def __call__(self, form: Form, field: Field) -> None:
        name = self.name or field.name
        try:
            parse(self.schema, {name: field.data})
        except InvalidFields as error:
            messages = (error.fields or {}).get(name)
            if messages:
                raise ValidationError("; ".join(messages)) from None


class ServiceForm(FlaskForm):
    name = StringField("Name", validators=[SchemaRule(ServiceIn)])
    team = StringField("Owning team", validators=[Optional(), SchemaRule(ServiceIn)])
    description = TextAreaField("Description", validators=[Optional(), SchemaRule(ServiceIn)])


class ConfirmForm(FlaskForm):
    """An empty form: a button that posts with a CSRF token."""
