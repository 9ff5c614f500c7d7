"""The schema base class and `parse`: raw input (JSON, forms, query strings, imported front
matter) in, a typed object out, or one ValidationError naming every bad field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from ..errors import ValidationError

TIMESTAMPS = ("started_at", "detected_at", "mitigated_at", "resolved_at")

# Messages for pydantic's own checks; our field types fail with their own words.
MESSAGES = {
    "missing": "is required",
    "model_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be a list",
}

S = TypeVar("S", bound="Schema")


class Schema(BaseModel):
    """A resource's input. Unknown fields are ignored; `given` tells a partial update which
    fields were sent; `problems` holds the rules that span several fields."""

    model_config = ConfigDict(extra="ignore", arbitrary_types_allowed=True)
    failure: ClassVar[str] = "Some fields are invalid."

    def given(self, name: str) -> bool:
        return name in self.model_fields_set

    def problems(self) -> dict[str, list[str]]:
        return {}

    def changes(self) -> dict[str, Any]:
        """The fields that were sent, with their parsed values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


def parse(schema: type[S], data: Mapping[str, Any] | None) -> S:
    """The schema's object from data; ValidationError listing every bad field otherwise."""
    if not isinstance(data, Mapping):
        raise ValidationError(schema.failure, fields={"body": ["must be an object"]})
    try:
        parsed = schema.model_validate(dict(data))
    except PydanticValidationError as error:
        raise ValidationError(schema.failure, fields=error_fields(error)) from None
    problems = parsed.problems()
    if problems:
        raise ValidationError(schema.failure, fields=problems)
    return parsed


def error_fields(error: PydanticValidationError) -> dict[str, list[str]]:
    """{field: [message]} from pydantic's errors (the field is the first part of the location)."""
    fields: dict[str, list[str]] = {}
    for item in error.errors(include_url=False, include_input=False):
        location = item["loc"]
        name = str(location[0]) if location else "body"
        message = MESSAGES.get(item["type"], item["msg"])
        if len(location) > 1:
            message = ".".join(str(part) for part in location[1:]) + f": {message}"
        fields.setdefault(name, []).append(message)
    return fields


def out_of_order(values: Mapping[str, datetime | None]) -> list[tuple[str, str]]:
    """(earlier, later) name pairs breaking started ≤ detected ≤ mitigated ≤ resolved, over
    the timestamps that are given."""
    given = [(name, values[name]) for name in TIMESTAMPS if values.get(name) is not None]
    return [(earlier_name, later_name)
            for (earlier_name, earlier), (later_name, later) in zip(given, given[1:], strict=False)
            if later < earlier]  # type: ignore[operator]


def order_problems(values: Mapping[str, datetime | None]) -> dict[str, list[str]]:
    """An error on each timestamp that comes before the one it must follow."""
    return {later: [f"must not be before {earlier}"] for earlier, later in out_of_order(values)}
