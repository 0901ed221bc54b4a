"""A fake Hugging Face Hub on 127.0.0.1 and an isolated huggingface_hub environment for the weights tests.

`hf_hub_download` (huggingface_hub 2.x) resolves a file with one `HEAD /{repo_id}/resolve/{revision}/{filename}`
and downloads it with a `GET` on the same URL. The HEAD response must carry `X-Repo-Commit` (the commit the
revision resolves to), an `ETag` (the cache's blob name) and `Content-Length`; errors are distinguished by the
`X-Error-Code` header (`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`). The server below serves exactly
those requests and records each one, so tests can check that nothing else was requested.

Test modules import the fixtures `fake_hub` and `hub_env` from here (a second `conftest.py` would shadow the
root one's `require_asset`, because the tests folder is not a package).

huggingface_hub reads `HF_ENDPOINT`, `HF_HOME`, `HF_HUB_CACHE` and `HF_HUB_OFFLINE` into
`huggingface_hub.constants` once, at import; `HubEnvironment.configure` sets the variables and reloads that module.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import huggingface_hub.constants
import pytest


@dataclass
class FakeRepo:
    """Commits (commit hash -> file name -> bytes) and refs (branch or tag -> commit hash) of one repository."""

    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)


class FakeHub:
    """In-memory model repositories served over HTTP on 127.0.0.1 (random free port)."""

    def __init__(self) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self.requests: list[tuple[str, str]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
                hub._respond(self, send_body=False)

            def do_GET(self) -> None:  # noqa: N802
                hub._respond(self, send_body=True)

            def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def endpoint(self) -> str:
        """Base URL of the server, for `HF_ENDPOINT`."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        """Start serving in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self._server.shutdown()
        self._server.server_close()

    def add_commit(self, repo_id: str, files: dict[str, bytes], *, refs: tuple[str, ...] = ("main",)) -> str:
        """Add a commit containing `files` to `repo_id`, point `refs` at it, and return its 40-hex hash."""
        repo = self.repos.setdefault(repo_id, FakeRepo())
        digest = hashlib.sha1(repo_id.encode())
        for name in sorted(files):
            digest.update(name.encode() + b"\0" + files[name])
        commit = digest.hexdigest()
        repo.commits[commit] = dict(files)
        for ref in refs:
            repo.refs[ref] = commit
        return commit

    def add_folder(self, repo_id: str, folder: Path, *, refs: tuple[str, ...] = ("main",)) -> str:
        """Add a commit with every file of `folder` (for example one written by `save_pretrained`)."""
        files = {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}
        return self.add_commit(repo_id, files, refs=refs)

    def downloads(self, filename: str) -> list[str]:
        """Paths of the GET requests for `filename`."""
        return [path for method, path in self.requests if method == "GET" and path.endswith("/" + filename)]

    def _respond(self, handler: BaseHTTPRequestHandler, *, send_body: bool) -> None:
        self.requests.append((handler.command, handler.path))
        parts = handler.path.split("?", 1)[0].split("/")
        # ["", namespace, name, "resolve", revision, filename...]
        if len(parts) < 6 or parts[3] != "resolve":
            self._send_error(handler, 404, "RepoNotFound")
            return
        repo = self.repos.get(f"{parts[1]}/{parts[2]}")
        if repo is None:
            self._send_error(handler, 404, "RepoNotFound")
            return
        revision = unquote(parts[4])
        commit = repo.refs.get(revision, revision if revision in repo.commits else None)
        if commit is None:
            self._send_error(handler, 404, "RevisionNotFound")
            return
        content = repo.commits[commit].get(unquote("/".join(parts[5:])))
        if content is None:
            self._send_error(handler, 404, "EntryNotFound", commit=commit)
            return
        handler.send_response(200)
        handler.send_header("X-Repo-Commit", commit)
        handler.send_header("ETag", f'"{hashlib.sha256(content).hexdigest()}"')
        handler.send_header("Content-Length", str(len(content)))
        handler.send_header("Content-Type", "application/octet-stream")
        handler.end_headers()
        if send_body:
            handler.wfile.write(content)

    @staticmethod
    def _send_error(handler: BaseHTTPRequestHandler, status: int, code: str, *, commit: str | None = None) -> None:
        body = f'{{"error": "{code}"}}'.encode()
        handler.send_response(status)
        handler.send_header("X-Error-Code", code)
        if commit is not None:
            handler.send_header("X-Repo-Commit", commit)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)


class HubEnvironment:
    """Points huggingface_hub at an endpoint and an isolated cache, and switches offline mode."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
        self._monkeypatch = monkeypatch
        self.home = home
        self.cache = home / "hub"

    def configure(self, *, endpoint: str, offline: bool = False) -> None:
        """Set the environment variables and reload `huggingface_hub.constants` so they take effect."""
        self._monkeypatch.setenv("HF_ENDPOINT", endpoint)
        self._monkeypatch.setenv("HF_HOME", str(self.home))
        self._monkeypatch.setenv("HF_HUB_CACHE", str(self.cache))
        self._monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        self._monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        self._monkeypatch.delenv("HF_TOKEN", raising=False)
        self._monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
        self._monkeypatch.delenv("YUNET_WEIGHTS_DIR", raising=False)
        if offline:
            self._monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        else:
            self._monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        importlib.reload(huggingface_hub.constants)


def closed_port_endpoint() -> str:
    """Return an http://127.0.0.1 endpoint on which nothing listens (the port was bound once, then released)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    host, port = server.server_address[:2]
    server.server_close()
    return f"http://{host}:{port}"


@pytest.fixture
def fake_hub() -> Iterator[FakeHub]:
    """A running fake Hub with no repositories."""
    hub = FakeHub()
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture(autouse=True)
def hub_env(tmp_path: Path) -> Iterator[HubEnvironment]:
    """An isolated `HF_HOME` under `tmp_path`, offline and aimed at a closed local port until reconfigured.

    Every test here uses it, so a load that unexpectedly reaches for the Hub fails at once instead of
    contacting a real host.
    """
    monkeypatch = pytest.MonkeyPatch()
    environment = HubEnvironment(monkeypatch, tmp_path / "hf_home")
    environment.configure(endpoint=closed_port_endpoint(), offline=True)
    yield environment
    monkeypatch.undo()
    importlib.reload(huggingface_hub.constants)
