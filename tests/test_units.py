"""Durations and amounts as users write them in parameter files and flags."""

import pytest

from swarm_stake.errors import ConfigError
from swarm_stake.units import format_amount, parse_amount, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(90, 90), ("90", 90), ("90s", 90), ("2 days", 172800), ("1.5h", 5400), ("3 weeks", 1814400), ("0", 0)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "-5s", "1.5s", "2 fortnights", True, "1e3"])
def test_parse_duration_rejects(text):
    with pytest.raises(ConfigError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "base_units"),
    [(5, 5), ("1000e18", 1000 * 10**18), ("1000 tokens", 1000 * 10**18), ("2.5 SWARM", 25 * 10**17), ("7", 7)],
)
def test_parse_amount(text, base_units):
    assert parse_amount(text) == base_units


@pytest.mark.parametrize("text", ["", "lots", "-1", "0.5", "1e-19 tokens", "inf", "nan", False])
def test_parse_amount_rejects(text):
    with pytest.raises(ConfigError):
        parse_amount(text)


def test_format_amount():
    assert format_amount(1234 * 10**18 + 5 * 10**17, places=2) == "1,234.50"
