"""Oracle daemon settings: the [oracle] table, SWARM_STAKE_ORACLE_* variables, clear errors."""

import pytest

from swarm_stake.errors import ConfigError
from swarm_stake.oracle.config import load_daemon_config

pytestmark = pytest.mark.unit


def test_table_then_environment_then_overrides(tmp_path, monkeypatch):
    config = tmp_path / "swarm-stake.toml"
    config.write_text('rpc_url = "http://x"\n[oracle]\ninterval = 2.0\nconfirmations = 3\n'
                      '[oracle.detectors]\nuptime_sla = 0.95\n')
    monkeypatch.setenv("SWARM_STAKE_ORACLE_CONFIRMATIONS", "5")
    monkeypatch.setenv("SWARM_STAKE_ORACLE_PEERS", '["http://127.0.0.1:9465"]')
    loaded = load_daemon_config(config, interval=0.5)
    assert loaded.interval == 0.5 and loaded.confirmations == 5
    assert loaded.peers == ["http://127.0.0.1:9465"]
    assert loaded.detectors.uptime_sla == 0.95


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[oracle]\ninterval = -1\n", {}, "interval"),
        ("[oracle]\nbogus = 1\n", {}, "bogus"),
        ("oracle = 3\n", {}, "must be a table"),
        ("[oracle\n", {}, "TOML"),
        ("", {"SWARM_STAKE_ORACLE_PEERS": "[not json"}, "not valid JSON"),
        ("", {"SWARM_STAKE_ORACLE_NOPE": "1"}, "not an oracle setting"),
        ("[oracle]\nproviders = {\"0x12\" = \"http://n\"}\n", {}, "providers"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(tmp_path, monkeypatch, text, env, message):
    config = tmp_path / "c.toml"
    config.write_text(text)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        load_daemon_config(config)


@pytest.mark.parametrize(
    ("url", "message"),
    [("ftp://oracle.example", "http:// or https://"), ("http://oracle .example", "visible ASCII"),
     ("http://" + "a" * 250, "1 to 256 bytes")],  # fmt: skip
)
def test_a_public_url_the_committee_would_refuse_is_refused_at_start(url, message):
    with pytest.raises(ConfigError, match=message):
        load_daemon_config(None, public_url=url)


def test_a_public_url_is_kept_as_given():
    assert load_daemon_config(None, public_url="https://oracle-1.example/ev").public_url == "https://oracle-1.example/ev"
