"""`swarm-stake accounts` as a user runs it: real scrypt keystores created and imported, listed."""

import json
import stat

from eth_account import Account

from cli_support import PASSWORD, assert_error, assert_ok, clean_env, run_cli, write_keystore


def env_for(home, **extra):
    return clean_env(SWARM_STAKE_HOME=home, **extra)


def test_create_import_and_list(tmp_path):
    env = env_for(tmp_path, SWARM_STAKE_PASSWORD=PASSWORD)
    created = assert_ok(run_cli("accounts", "create", "alice", env=env, cwd=tmp_path))
    assert created.stdout.startswith("created alice: 0x")

    key = Account.create()
    key_file = tmp_path / "key.hex"
    key_file.write_text("0x" + key.key.hex() + "\n")
    imported = json.loads(assert_ok(run_cli("--json", "accounts", "import", "bob", "--key-file", key_file,
                                            env=env, cwd=tmp_path)).stdout)  # fmt: skip
    assert imported["name"] == "bob" and imported["address"] == key.address

    listed = json.loads(assert_ok(run_cli("accounts", "list", "--json", env=env, cwd=tmp_path)).stdout)
    assert [entry["name"] for entry in listed] == ["alice", "bob"]
    keystores = tmp_path / "keystores"
    assert [entry["path"] for entry in listed] == [str(keystores / "alice.json"), str(keystores / "bob.json")]

    # Real encrypted keystores: scrypt, owner-only, and they decrypt with the password to what was listed.
    alice = json.loads((keystores / "alice.json").read_text())
    assert alice["crypto"]["kdf"] == "scrypt"
    assert Account.from_key(Account.decrypt(alice, PASSWORD)).address == listed[0]["address"]
    assert listed[0]["address"] in created.stdout
    bob = json.loads((keystores / "bob.json").read_text())
    assert Account.decrypt(bob, PASSWORD) == key.key
    assert key.key.hex() not in (keystores / "bob.json").read_text()
    for path in keystores.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    human = assert_ok(run_cli("accounts", "list", env=env, cwd=tmp_path))
    assert "alice" in human.stdout and key.address in human.stdout


def test_list_an_empty_keystore_directory(tmp_path):
    result = assert_ok(run_cli("accounts", "list", env=env_for(tmp_path), cwd=tmp_path))
    assert "no keystores" in result.stdout and "accounts create" in result.stdout
    assert json.loads(assert_ok(run_cli("accounts", "list", "--json", env=env_for(tmp_path), cwd=tmp_path)).stdout) == []


def test_list_skips_files_that_are_not_keystores(tmp_path):
    write_keystore(tmp_path / "keystores", "good", Account.create())
    (tmp_path / "keystores" / "broken.json").write_text("{not json")
    listed = json.loads(assert_ok(run_cli("accounts", "list", "--json", env=env_for(tmp_path), cwd=tmp_path)).stdout)
    assert [entry["name"] for entry in listed] == ["good"]


def test_create_without_a_password_and_no_terminal(tmp_path):
    result = run_cli("accounts", "create", "carol", env=env_for(tmp_path), cwd=tmp_path)
    assert_error(result, "password", "no terminal", "--password-file", "SWARM_STAKE_PASSWORD")
    assert not (tmp_path / "keystores" / "carol.json").exists()


def test_create_with_an_empty_password(tmp_path):
    empty = tmp_path / "empty-password"
    empty.write_text("\n")
    result = run_cli("--password-file", empty, "accounts", "create", "carol", env=env_for(tmp_path), cwd=tmp_path)
    assert_error(result, "empty password")
    assert not (tmp_path / "keystores" / "carol.json").exists()


def test_an_empty_password_variable_counts_as_unset(tmp_path):
    result = run_cli("accounts", "create", "carol", env=env_for(tmp_path, SWARM_STAKE_PASSWORD=""), cwd=tmp_path)
    assert_error(result, "no terminal", "--password-file")
    assert not (tmp_path / "keystores" / "carol.json").exists()


def test_create_refuses_to_overwrite_a_keystore(tmp_path):
    path = write_keystore(tmp_path / "keystores", "dave", Account.create())
    before = path.read_bytes()
    result = run_cli("accounts", "create", "dave", env=env_for(tmp_path, SWARM_STAKE_PASSWORD=PASSWORD), cwd=tmp_path)
    assert_error(result, "already exists", "dave")
    assert path.read_bytes() == before


def test_import_refuses_to_overwrite_a_keystore(tmp_path):
    path = write_keystore(tmp_path / "keystores", "erin", Account.create())
    before = path.read_bytes()
    key_file = tmp_path / "key.hex"
    key_file.write_text(Account.create().key.hex())
    result = run_cli("accounts", "import", "erin", "--key-file", key_file,
                     env=env_for(tmp_path, SWARM_STAKE_PASSWORD=PASSWORD), cwd=tmp_path)  # fmt: skip
    assert_error(result, "already exists", "erin")
    assert path.read_bytes() == before


def test_import_without_a_key_file_and_no_terminal(tmp_path):
    result = run_cli("accounts", "import", "frank", env=env_for(tmp_path, SWARM_STAKE_PASSWORD=PASSWORD), cwd=tmp_path)
    assert_error(result, "no terminal", "--key-file")
    assert not (tmp_path / "keystores").exists()


def test_import_a_file_that_holds_no_key(tmp_path):
    key_file = tmp_path / "key.hex"
    key_file.write_text("0x1234 is not a key\n")
    result = run_cli("accounts", "import", "gina", "--key-file", key_file,
                     env=env_for(tmp_path, SWARM_STAKE_PASSWORD=PASSWORD), cwd=tmp_path)  # fmt: skip
    assert_error(result, "does not hold a private key", "64 hex")
    assert not (tmp_path / "keystores").exists()


def test_import_a_missing_key_file(tmp_path):
    result = run_cli("accounts", "import", "hank", "--key-file", tmp_path / "absent.hex",
                     env=env_for(tmp_path, SWARM_STAKE_PASSWORD=PASSWORD), cwd=tmp_path)  # fmt: skip
    assert_error(result, "absent.hex", "does not exist", code=2)


def test_create_with_a_name_that_is_a_path(tmp_path):
    result = run_cli("accounts", "create", "../evil", env=env_for(tmp_path, SWARM_STAKE_PASSWORD=PASSWORD), cwd=tmp_path)
    assert_error(result, "not a keystore name", "letters, digits")
    assert not (tmp_path / "evil.json").exists()
