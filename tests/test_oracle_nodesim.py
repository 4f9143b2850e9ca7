"""The node simulator: a real HTTP server whose failure mode is set from Python or over HTTP."""

import json

import pytest
import requests
from oracle_support import GOOD_HASH

from swarm_stake.oracle.collectors import challenge_response, check_answer, dataset, dataset_root, parse_metrics
from swarm_stake.oracle.nodesim import MODES, NodeSimulator

pytestmark = pytest.mark.unit


@pytest.fixture
def sim():
    with NodeSimulator(GOOD_HASH, dataset_seed="sim-test", chunks=16, slow_seconds=0.2) as node:
        yield node


def get(sim, path, **params):
    return requests.get(sim.url + path, params=params, timeout=5)


def control(sim, body):
    return requests.post(sim.url + "/control", data=body if isinstance(body, bytes) else json.dumps(body), timeout=5)


def test_start_stop_and_context_manager():
    node = NodeSimulator(GOOD_HASH)
    with pytest.raises(RuntimeError):
        node.url
    with node:
        url = node.url
        assert url.startswith("http://127.0.0.1:")
        assert requests.get(url + "/health", timeout=5).json() == {"status": "ok", "software_hash": GOOD_HASH}
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/health", timeout=2)


def test_dataset_matches_the_shared_definition(sim):
    assert sim.chunks == dataset("sim-test", 16)
    assert sim.root == dataset_root(dataset("sim-test", 16))


def test_health_per_mode(sim):
    expected = {
        "healthy": (200, GOOD_HASH), "slow": (200, GOOD_HASH), "errors": (200, GOOD_HASH),
        "corrupt": (200, GOOD_HASH), "bad-software": (200, sim.bad_software_hash), "down": (503, None),
    }
    assert set(expected) == set(MODES)
    for mode, (status, reported) in expected.items():
        sim.set_mode(mode)
        response = get(sim, "/health")
        assert response.status_code == status
        assert response.json().get("software_hash") == reported
        assert response.json()["status"] == ("ok" if status == 200 else "down")


def test_slow_mode_delays_answers(sim):
    sim.set_mode("slow")
    response = get(sim, "/health")
    assert response.elapsed.total_seconds() >= 0.2


def test_mode_over_http(sim):
    response = control(sim, {"mode": "down", "slow_seconds": 1.5})
    assert response.status_code == 200 and response.json() == {"mode": "down", "slow_seconds": 1.5}
    assert sim.mode == "down" and sim.slow_seconds == 1.5
    assert get(sim, "/health").status_code == 503
    assert control(sim, {"mode": "healthy"}).status_code == 200  # control still answers when down
    assert get(sim, "/health").status_code == 200


@pytest.mark.parametrize(
    "body", [{"mode": "sideways"}, {"mode": 3}, {"slow_seconds": -1}, {"slow_seconds": True}, [1], b"not json", b""],
)
def test_bad_control_requests_change_nothing(sim, body):
    response = control(sim, body)
    assert response.status_code == 400 and "error" in response.json()
    assert sim.mode == "healthy" and sim.slow_seconds == 0.2


def test_set_mode_refuses_unknown_modes(sim):
    with pytest.raises(ValueError, match="unknown mode"):
        sim.set_mode("broken")
    sim.mode = "errors"
    assert sim.mode == "errors"


def test_metrics_count_requests_and_errors(sim):
    first = parse_metrics(get(sim, "/metrics").text)
    get(sim, "/health")
    second = parse_metrics(get(sim, "/metrics").text)
    assert second[1] - first[1] == 2 and second[2] == first[2] == 0.0
    sim.set_mode("errors")
    get(sim, "/health")
    get(sim, "/challenge", nonce="0x" + "00" * 32, index=1)
    third = parse_metrics(get(sim, "/metrics").text)
    assert third[1] - second[1] == 3 and third[2] == 3.0
    assert 0.0 <= third[0] <= 1.0 and third[3] == []
    sim.set_mode("down")
    assert get(sim, "/metrics").status_code == 503


def test_gpu_gauge_follows_the_setting(sim):
    sim.gpu_util, sim.gpu_jitter = 0.25, 0.0
    assert parse_metrics(get(sim, "/metrics").text)[0] == 0.25


def test_challenge_answers_verify_unless_corrupt(sim):
    nonce = bytes(range(32))
    for index in (0, 7, 15):
        answer = get(sim, "/challenge", nonce="0x" + nonce.hex(), index=index).json()
        assert check_answer(answer, index, nonce, sim.root) is None
        assert answer["response"] == "0x" + challenge_response(nonce, sim.chunks[index]).hex()
    sim.set_mode("corrupt")
    answer = get(sim, "/challenge", nonce="0x" + nonce.hex(), index=7).json()
    assert answer["chunk"] != "0x" + sim.chunks[7].hex()
    assert "does not verify" in check_answer(answer, 7, nonce, sim.root)


@pytest.mark.parametrize(
    "params",
    [{}, {"nonce": "0x" + "00" * 32}, {"index": 1}, {"nonce": "00" * 32, "index": 1}, {"nonce": "0x00", "index": 1},
     {"nonce": "0x" + "00" * 32, "index": 16}, {"nonce": "0x" + "00" * 32, "index": -1}, {"nonce": "0x" + "zz" * 32, "index": 1}],
)
def test_bad_challenges_are_refused(sim, params):
    assert get(sim, "/challenge", **params).status_code == 400


def test_unknown_paths(sim):
    assert get(sim, "/nothing").status_code == 404
    assert requests.post(sim.url + "/health", timeout=5).status_code == 404


def test_quiet(sim, capfd):
    get(sim, "/health")
    get(sim, "/nothing")
    control(sim, b"not json")
    assert capfd.readouterr().err == ""
