"""``unnest``: the JMESPath function that makes rows of objects keyed by name."""

from __future__ import annotations

from typing import Any

import pytest

from synchub.mapping.paths import compile_getter

SERIES = {"base": "EUR", "rates": {"2024-01-02": {"USD": 1.0956, "JPY": 155.81},
                                   "2024-01-03": {"USD": 1.0919}}}


@pytest.mark.parametrize(("expr", "data", "rows"), [
    ("unnest(@, 'quote', 'rate')", {"USD": 1.08, "JPY": 161.2},
     [{"quote": "USD", "rate": 1.08}, {"quote": "JPY", "rate": 161.2}]),
    ("unnest(rates, 'rate_date', 'quote', 'rate')", SERIES,
     [{"rate_date": "2024-01-02", "quote": "USD", "rate": 1.0956},
      {"rate_date": "2024-01-02", "quote": "JPY", "rate": 155.81},
      {"rate_date": "2024-01-03", "quote": "USD", "rate": 1.0919}]),
    # a level that is not an object gives no row; a value may be anything
    ("unnest(@, 'day', 'quote', 'rate')", {"d1": {"USD": 1}, "d2": None, "d3": [1]},
     [{"day": "d1", "quote": "USD", "rate": 1}]),
    ("unnest(@, 'k', 'v')", {"a": {"b": 1}}, [{"k": "a", "v": {"b": 1}}]),
    ("unnest(@, 'k', 'v')", {}, []),
    ("unnest(missing, 'k', 'v')", {}, None),
    ("unnest(@, 'k', 'v')", [1, 2], None),
    ("unnest(rates, 'rate_date', 'quote', 'rate')[?quote == 'USD'].rate", SERIES,
     [1.0956, 1.0919]),
])
def test_unnest_makes_rows_of_keyed_objects(expr: str, data: Any, rows: Any) -> None:
    assert compile_getter(expr)(data) == rows


def test_unnest_needs_two_names() -> None:
    with pytest.raises(ValueError, match="a name for the keys and one for the values"):
        compile_getter("unnest(@, 'k')")({"a": 1})
