"""Field types that carry every input rule once: what a service name, a team, a timestamp, an
`until`, a due date or a URL may be. Each type validates any JSON or form value and fails with a
plain message naming the rule; `parse` turns the failures into the contract's error fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Annotated, Any, NoReturn, TypeVar

from pydantic import PlainValidator
from pydantic_core import PydanticCustomError

from ..models.enums import (
    ActionKind,
    ActionStatus,
    DeploymentKind,
    IncidentStatus,
    LinkRole,
    ListView,
    Priority,
    Severity,
    TimelineKind,
    choices,
)
from ..timeutil import OutOfRange, end_of_day, parse_date, parse_timestamp

MAX_INTEGER = 2**63 - 1
SERVICE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
SERVICE_NAME_RULE = (
    "must be a slug: lowercase letters, digits, '.', '_' or '-', "
    "starting with a letter or digit, at most 63 characters"
)
SERVICE_LIST_RULE = "is not a valid service name (a lowercase slug)"
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9._:/-]{0,49}$")
TAG_RULE = "is not a valid tag (lowercase letters, digits, '.', '_', ':', '/' or '-')"
ENVIRONMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")
ENVIRONMENT_RULE = "must be letters, digits, '.', '_', ':', '/' or '-', at most 100 characters"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
KEY_RULE = "must be lowercase letters, digits, '-' or '_', at most 50 characters"
TIMESTAMP_RULE = "must be a date and time such as 2026-03-14T09:02:00Z"
DATE_RULE = "must be a date such as 2026-03-14"
# Done on a date (no time given) means noon UTC that day: the middle of anyone's working day.
DONE_ON_A_DATE_AT = time(12)

# The longest values each kind of text keeps, for the API, the forms, the CLI and imports alike.
TITLE_MAX, LINE_MAX, NOTE_MAX, LONG_MAX, MARKDOWN_MAX = 200, 300, 5_000, 20_000, 200_000
TEAM_MAX, NAME_MAX, VERSION_MAX, ARTIFACT_MAX, COMMIT_MAX, URL_MAX = 100, 100, 200, 500, 100, 500


def fail(message: str) -> NoReturn:
    """Reject a value with this message (used verbatim: user input in it is never formatted)."""
    raise PydanticCustomError("invalid", "{reason}", {"reason": message})


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored (a NUL, or a lone surrogate that is no character), or None."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (it holds a lone surrogate)"
    return None


def clean_string(value: Any, max_length: int) -> str:
    """value when it is a storable string of at most max_length characters."""
    if not isinstance(value, str):
        fail("must be a string")
    problem = text_problem(value)
    if problem:
        fail(problem)
    if len(value) > max_length:
        fail(f"must be at most {max_length} characters")
    return value


def _text(max_length: int, required: bool) -> Callable[[Any], str | None]:
    def validate(value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                fail("is required")
            return None
        if not isinstance(value, str):
            fail("must be a string")
        return clean_string(value.strip(), max_length)
    return validate


def _markdown(value: Any) -> str | None:
    if value is None:
        return None
    return clean_string(value, MARKDOWN_MAX).replace("\r\n", "\n")


E = TypeVar("E", bound=StrEnum)


def _one_of(enum: type[E]) -> Callable[[Any], E | None]:
    """The enum's member named by its value, or None when empty."""
    values = {member.value for member in enum}

    def validate(value: Any) -> E | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or value not in values:
            fail("must be one of " + choices(enum))
        return enum(value)
    return validate


def timestamp_value(value: Any) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text (no offset means UTC), or None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time(), tzinfo=UTC)  # a YAML date: midnight UTC
    if isinstance(value, bool) or not isinstance(value, str | datetime):
        fail(TIMESTAMP_RULE)
    if isinstance(value, str):
        clean_string(value, 64)
    try:
        return parse_timestamp(value)
    except OutOfRange as error:
        fail(str(error))
    except (ValueError, TypeError):
        fail(TIMESTAMP_RULE)


def _until(value: Any) -> datetime | None:
    """The end of a period, inclusive: a bare date means the end of that day (UTC)."""
    moment = timestamp_value(value)
    if moment is not None and isinstance(value, str) and len(value.strip()) == 10:
        return end_of_day(moment)
    return moment


def day_value(value: Any) -> date | None:
    """A date from 'YYYY-MM-DD', or None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | date):
        fail(DATE_RULE)
    if isinstance(value, str):
        clean_string(value, 32)
    try:
        return parse_date(value)
    except OutOfRange as error:
        fail(str(error))
    except (ValueError, TypeError):
        fail(DATE_RULE)


def done_at(value: Any) -> datetime | None:
    """When an item was done: a timestamp, or a bare date meaning noon UTC that day."""
    if isinstance(value, date) and not isinstance(value, datetime) or (
            isinstance(value, str) and len(value.strip()) == 10):
        day = day_value(value)
        return None if day is None else datetime.combine(day, DONE_ON_A_DATE_AT, tzinfo=UTC)
    return timestamp_value(value)


def integer_value(value: Any) -> int | None:
    """A whole number a database column holds (64-bit signed), or None when empty."""
    if value is None or value == "":
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        number = int(value)
    elif isinstance(value, str) and len(value) <= 20 and value.strip().lstrip("-").isdigit():
        number = int(value)
    if number is None:
        fail("must be a whole number")
    if not -MAX_INTEGER <= number <= MAX_INTEGER:
        fail("is out of range")
    return number


def _id(value: Any) -> int | None:
    number = integer_value(value)
    if number is not None and number < 1:
        fail("must be a positive id")
    return number


def _row_version(value: Any) -> int | None:
    number = integer_value(value)
    if number is not None and number < 1:
        fail("must be the version you last saw (1 or more)")
    return number


def _boolean(value: Any) -> bool | None:
    """true/false: JSON booleans, or 'true', 'false', '1', '0', 'on' from query strings and forms."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "on", "off"):
        return value.strip().lower() in ("true", "1", "on")
    fail("must be true or false")


def _service_name(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        fail(SERVICE_NAME_RULE)
    name = _text(10_000, False)(value)
    if name is not None and not SERVICE_NAME_RE.match(name):
        fail(SERVICE_NAME_RULE)
    return name


def _environment(value: Any) -> str | None:
    name = _text(100, False)(value)
    if name is not None and not ENVIRONMENT_RE.match(name):
        fail(ENVIRONMENT_RULE)
    return name


def _url(value: Any) -> str | None:
    url = _text(URL_MAX, False)(value)
    if url is not None and not URL_RE.match(url):
        fail("must be an http or https URL")
    return url


def _email(value: Any) -> str | None:
    email = _text(254, False)(value)
    if email is not None and not EMAIL_RE.match(email):
        fail("must be an email address")
    return None if email is None else email.lower()


def _key(value: Any) -> str | None:
    key = _text(50 + 1_000, False)(value)
    if key is not None and not KEY_RE.match(key.lower()):
        fail(KEY_RULE)
    return None if key is None else key.lower()


def _string_list(pattern: re.Pattern[str], rule: str, max_items: int = 100
                 ) -> Callable[[Any], list[str] | None]:
    """A list of names (or one comma- or space-separated string), lowercased, without repeats."""
    def validate(value: Any) -> list[str] | None:
        if value is None:
            return None
        if isinstance(value, str):
            clean_string(value, 10_000)
            value = [part for part in re.split(r"[,\s]+", value) if part]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            fail("must be a list of strings")
        if len(value) > max_items:
            fail(f"must hold at most {max_items} items")
        result: list[str] = []
        bad: list[str] = []
        for item in value:
            item = clean_string(item, 1_000).strip().lower()
            if not item:
                continue
            if not pattern.match(item):
                bad.append(f"'{item[:80]}' {rule}")
            elif item not in result:
                result.append(item)
        if bad:
            fail("; ".join(bad))
        return result
    return validate


def _email_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [part for part in re.split(r"[,\s]+", clean_string(value, 10_000)) if part]
    if not isinstance(value, list):
        fail("must be a list of email addresses")
    emails: list[str] = []
    for item in value[:101]:
        email = _email(item)
        if email and email not in emails:
            emails.append(email)
    if len(value) > 100:
        fail("must hold at most 100 people")
    return emails


def _sections(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        fail("must be an object of {section key: markdown}")
    result: dict[str, str] = {}
    for key, text in value.items():
        if not isinstance(text, str):
            fail(f"'{str(key)[:80]}' must be a Markdown string")
        problem = text_problem(text) or text_problem(key)
        if problem:
            fail(f"'{str(key)[:80]}' {problem}")
        if len(text) > MARKDOWN_MAX:
            fail(f"'{str(key)[:80]}' must be at most {MARKDOWN_MAX} characters")
        result[key] = text.replace("\r\n", "\n")
    return result


MAX_DEPTH = 10


def storable_json(value: Any, depth: int = 0) -> None:
    """Fail unless value is JSON a database column keeps: finite numbers, storable strings and
    keys, at most MAX_DEPTH levels deep."""
    if depth > MAX_DEPTH:
        fail(f"must not nest deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            fail(problem)
    elif isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        fail("must hold finite numbers")
    elif isinstance(value, dict):
        for key, item in value.items():
            storable_json(str(key), depth + 1)
            storable_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            storable_json(item, depth + 1)


def _metadata(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        fail("must be an object")
    storable_json(value)
    return value


# The named types, each one rule.
Title = Annotated[str | None, PlainValidator(_text(TITLE_MAX, True))]
ItemTitle = Annotated[str | None, PlainValidator(_text(LINE_MAX, True))]
Name = Annotated[str | None, PlainValidator(_text(NAME_MAX, True))]
Line = Annotated[str | None, PlainValidator(_text(NOTE_MAX, True))]
Note = Annotated[str | None, PlainValidator(_text(NOTE_MAX, False))]
LongText = Annotated[str | None, PlainValidator(_text(LONG_MAX, False))]
Team = Annotated[str | None, PlainValidator(_text(TEAM_MAX, False))]
VersionLabel = Annotated[str | None, PlainValidator(_text(VERSION_MAX, False))]
ArtifactRef = Annotated[str | None, PlainValidator(_text(ARTIFACT_MAX, False))]
CommitRef = Annotated[str | None, PlainValidator(_text(COMMIT_MAX, False))]
SearchText = Annotated[str | None, PlainValidator(_text(200, False))]
# Short references in query strings: a tag, a theme id, a sort order, an incident key, a person.
TagText = Annotated[str | None, PlainValidator(_text(50, False))]
ThemeRef = Annotated[str | None, PlainValidator(_text(100, False))]
SortKey = Annotated[str | None, PlainValidator(_text(20, False))]
IncidentRef = Annotated[str | None, PlainValidator(_text(30, False))]
PersonRef = Annotated[str | None, PlainValidator(_text(254, False))]
ServiceRef = Annotated[str | None, PlainValidator(_text(63, False))]
Markdown = Annotated[str | None, PlainValidator(_markdown)]
ServiceName = Annotated[str | None, PlainValidator(_service_name)]
Environment = Annotated[str | None, PlainValidator(_environment)]
Url = Annotated[str | None, PlainValidator(_url)]
Email = Annotated[str | None, PlainValidator(_email)]
Key = Annotated[str | None, PlainValidator(_key)]
Timestamp = Annotated[datetime | None, PlainValidator(timestamp_value)]
Until = Annotated[datetime | None, PlainValidator(_until)]
DoneAt = Annotated[datetime | None, PlainValidator(done_at)]
Day = Annotated[date | None, PlainValidator(day_value)]
Integer = Annotated[int | None, PlainValidator(integer_value)]
Id = Annotated[int | None, PlainValidator(_id)]
RowVersion = Annotated[int | None, PlainValidator(_row_version)]
Boolean = Annotated[bool | None, PlainValidator(_boolean)]
ServiceNames = Annotated[list[str] | None, PlainValidator(_string_list(SERVICE_NAME_RE,
                                                                       SERVICE_LIST_RULE))]
Tags = Annotated[list[str] | None, PlainValidator(_string_list(TAG_RE, TAG_RULE))]
Emails = Annotated[list[str] | None, PlainValidator(_email_list)]
Sections = Annotated[dict[str, str] | None, PlainValidator(_sections)]
Metadata = Annotated[dict[str, Any] | None, PlainValidator(_metadata)]
SeverityValue = Annotated[Severity | None, PlainValidator(_one_of(Severity))]
IncidentStatusValue = Annotated[IncidentStatus | None, PlainValidator(_one_of(IncidentStatus))]
TimelineKindValue = Annotated[TimelineKind | None, PlainValidator(_one_of(TimelineKind))]
ActionKindValue = Annotated[ActionKind | None, PlainValidator(_one_of(ActionKind))]
ActionStatusValue = Annotated[ActionStatus | None, PlainValidator(_one_of(ActionStatus))]
PriorityValue = Annotated[Priority | None, PlainValidator(_one_of(Priority))]
DeploymentKindValue = Annotated[DeploymentKind | None, PlainValidator(_one_of(DeploymentKind))]
LinkRoleValue = Annotated[LinkRole | None, PlainValidator(_one_of(LinkRole))]
ListViewValue = Annotated[ListView | None, PlainValidator(_one_of(ListView))]
