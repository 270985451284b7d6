"""A local HTTP server on 127.0.0.1 that replays saved platform responses.

Responses are described by a ``routes.json`` manifest next to the saved files:

    {"routes": [
        {"path": "/greenhouse/v1/boards/a24/jobs", "file": "greenhouse/a24.json"},
        {"path": "/lever/v0/postings/spotify", "query": {"skip": "0"}, "file": "lever/spotify_page1.json"},
        {"method": "POST", "path": "/wday/cxs/t/s/jobs", "body": {"offset": 20}, "file": "..."},
        {"path": "/broken", "status": 500, "body_text": "oops"},
        {"path": "/moved", "status": 302, "headers": {"Location": "http://127.0.0.2/elsewhere"}}
    ]}

A route matches when method and path are equal and every listed query parameter / JSON body key
has the listed value (other parameters are ignored). ``mount`` prefixes let one server replay
several manifests (e.g. two nights): a request to ``/night2/...`` is matched against the night-2
manifest with the prefix removed. Unmatched requests get 404 and are recorded in ``misses``;
every request is recorded in ``requests`` so tests can check exactly what a spider asked for.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

ROBOTS_TXT = b"User-agent: *\nAllow: /\n"


class LoopbackServer:
    """A threaded HTTP server on loopback serving ``handler`` from a daemon thread, as a context
    manager: ``with Server(...) as server: server.url``. With ``max_seconds`` a watchdog shuts it
    down by itself, so a test or a benchmark that forgets it cannot leave it running. The demo's
    replay, the fault lab, the night lab and the crawl benchmark all serve through it."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, host: str = "127.0.0.1", port: int = 0,
                 max_seconds: float | None = None, server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("paywatch's servers only bind to loopback")
        self.httpd = server_class((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._watchdog = threading.Timer(max_seconds, self.httpd.shutdown) if max_seconds else None
        if self._watchdog is not None:
            self._watchdog.daemon = True

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        if self._watchdog is not None:
            self._watchdog.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@dataclass
class Route:
    path: str
    method: str = "GET"
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    file: Path | None = None
    status: int = 200
    body_text: str | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str, query: dict[str, str], body: Any) -> bool:
        if method != self.method or path != self.path:
            return False
        if any(query.get(key) != str(value) for key, value in self.query.items()):
            return False
        if self.body:
            if not isinstance(body, dict):
                return False
            return all(body.get(key) == value for key, value in self.body.items())
        return True

    def payload(self) -> bytes:
        if self.file is not None:
            return self.file.read_bytes()
        return (self.body_text or "").encode("utf-8")


class QuietHandler(BaseHTTPRequestHandler):
    """A loopback handler for GET and POST (both go to ``_serve(method)``) that logs nothing, so test
    and demo output stays clean."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        raise NotImplementedError

    def log_message(self, format: str, *args: Any) -> None:
        pass


def read_request(handler: BaseHTTPRequestHandler) -> tuple[SplitResult, dict[str, str], Any]:
    """(the split path, its query as a dict, the JSON body or None) of the request ``handler`` serves."""
    split = urlsplit(handler.path)
    length = int(handler.headers.get("Content-Length") or 0)
    raw_body = handler.rfile.read(length) if length else b""
    try:
        body = json.loads(raw_body) if raw_body else None
    except ValueError:
        body = None
    return split, dict(parse_qsl(split.query, keep_blank_values=True)), body


def load_manifest(manifest: Path) -> list[Route]:
    data = json.loads(manifest.read_text(encoding="utf-8"))
    routes = []
    for entry in data["routes"]:
        entry = dict(entry)
        if entry.get("file"):
            entry["file"] = manifest.parent / entry["file"]
        routes.append(Route(**entry))
    return routes


class ReplayServer(LoopbackServer):
    """``with ReplayServer({"/night1": path_to_manifest}) as server: server.url`` ..."""

    def __init__(self, mounts: dict[str, Path | list[Path]], host: str = "127.0.0.1", port: int = 0) -> None:
        self.mounts = {
            prefix.rstrip("/"): [
                route
                for manifest in (manifests if isinstance(manifests, list) else [manifests])
                for route in load_manifest(Path(manifest))
            ]
            for prefix, manifests in mounts.items()
        }
        self.requests: list[dict[str, Any]] = []
        self.misses: list[str] = []
        server = self

        class Handler(QuietHandler):
            def _serve(self, method: str) -> None:
                split, query, body = read_request(self)
                server.requests.append({"method": method, "path": split.path, "query": query, "body": body,
                                        "headers": dict(self.headers.items())})
                if split.path == "/robots.txt":
                    return self._reply(200, ROBOTS_TXT, "text/plain")
                route = server.find(method, split.path, query, body)
                if route is None:
                    server.misses.append(f"{method} {self.path}")
                    return self._reply(404, b'{"error": "not found"}', "application/json")
                self._reply(route.status, route.payload(), route.content_type, route.headers)

            def _reply(self, status: int, payload: bytes, content_type: str, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        super().__init__(Handler, host=host, port=port)

    def find(self, method: str, path: str, query: dict[str, str], body: Any) -> Route | None:
        for prefix, routes in sorted(self.mounts.items(), key=lambda item: -len(item[0])):
            if prefix and not (path == prefix or path.startswith(prefix + "/")):
                continue
            local_path = path[len(prefix):] or "/"
            for route in routes:
                if route.matches(method, local_path, query, body):
                    return route
        return None

