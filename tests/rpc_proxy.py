"""A JSON-RPC relay in front of a node, over real HTTP both ways: it counts the methods it forwards (and
keeps each call: method and parameters) and refuses every request (HTTP 502) while ``broken`` is set."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests


class RpcProxy:
    def __init__(self, target: str):
        self.broken = False
        self.methods: Counter = Counter()
        self.calls: list[dict[str, Any]] = []
        outer = self

        class Relay(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.broken:
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                calls = json.loads(body)
                for call in calls if isinstance(calls, list) else [calls]:
                    outer.methods[call["method"]] += 1
                    outer.calls.append({"method": call["method"], "params": call.get("params", [])})
                answer = requests.post(target, data=body, headers={"Content-Type": "application/json"}, timeout=30)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self) -> None:
        self.methods.clear()
        self.calls.clear()

    @property
    def requests(self) -> int:
        return sum(self.methods.values())

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
