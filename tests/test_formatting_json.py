"""Which values the record view pretty-prints as JSON: a json column's, or a text that is JSON; never a
PostgreSQL array's text, even where it parses ('{}' is an empty array, not an empty object)."""

import pytest

from console.formatting import json_preview
from storage.schema import Column


def col(kind: str, declared: str) -> Column:
    return Column("c", declared, kind)


@pytest.mark.parametrize("kind, declared, value, pretty", [
    ("json", "jsonb", "{}", True),
    ("text", "text", '{"a": 1}', True),
    ("any", "", "[1, 2]", True),
    ("text", "text[]", "{}", False),
    ("text", "integer[]", "{1,2}", False),
    ("text", "mood[]", "{}", False),
    ("int", "integer", "[1]", False),
    ("blob", "bytea", "{}", False),
])
def test_json_is_looked_for_where_it_can_be(kind, declared, value, pretty):
    shown, note = json_preview(value, col(kind, declared))
    assert (shown is not None) == pretty, (shown, note)
