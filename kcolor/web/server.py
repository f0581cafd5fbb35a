"""`kcolor web`: serve the browser app and the shipped .tflite models on this machine.

The app (static files in `kcolor/web/static/`) runs the model in the browser with LiteRT.js, so
photos never leave the machine; this server only hands out files. It listens on 127.0.0.1
unless asked otherwise, serves GET and HEAD only, never lists folders, and serves:

- `/` and the app's files;
- `/models.json`: the models the page may offer, `{"models": {precision: {"url", "bytes"}}}`;
- `/models/NAME.tflite`: the shipped fp32, fp16 and int8 models (sha256-verified at start), or
  the one file given with `--model`;
- LiteRT's `.wasm` from the `.wasm.gz` kept in the package (gzip-encoded to browsers).

Every response carries a Content-Security-Policy that lets the page connect to its own origin
only (and blob:/data: URLs it makes itself), so the browser itself enforces "photos never leave
this computer", and the cross-origin isolation headers (COOP/COEP) that threaded WebAssembly
needs. Standard library only: no TensorFlow, no Keras, nothing fetched from the internet.
"""

import gzip
import json
import mimetypes
import threading
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

DEFAULT_PORT = 8765
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".wasm": "application/wasm",
    ".tflite": "application/octet-stream",
    ".json": "application/json",
    ".css": "text/css",
    ".html": "text/html; charset=utf-8",
}


# What the page may load and where it may connect: its own origin, and the blob:/data: URLs it
# makes (photos, results, downloads); WebAssembly compiles need 'wasm-unsafe-eval'.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "worker-src 'self' blob:",
        "connect-src 'self' blob: data:",
        "img-src 'self' blob: data:",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class WebAppError(RuntimeError):
    """The app cannot be served as asked (port taken, bad model file); one line says why."""


def static_root():
    """The folder of the app's files, installed with the package."""
    return Path(str(resources.files("kcolor.web") / "static"))


def model_files(model="default"):
    """`{precision: Path}` of the models the page offers: the shipped three (verified), or one
    `.tflite` file offered as "custom"."""
    if model == "default":
        from kcolor.shipped import TFLITE_VARIANTS, shipped_model_path

        return {
            v: shipped_model_path("default", backend="tflite", variant=v) for v in TFLITE_VARIANTS
        }
    path = Path(model)
    if not path.exists():
        raise WebAppError(f"--model: {model}: no such file (a .tflite file, or 'default')")
    if path.suffix != ".tflite" or not path.is_file():
        raise WebAppError(f"--model: {model} is not a .tflite file (or 'default')")
    return {"custom": path}


class _Handler(SimpleHTTPRequestHandler):
    """Static files from the app folder, plus /models.json and /models/NAME.tflite."""

    def __init__(self, *args, models, isolated=True, **kwargs):
        self.models = models
        self.isolated = isolated
        super().__init__(*args, **kwargs)

    def guess_type(self, path):
        return (
            CONTENT_TYPES.get(Path(str(path)).suffix)
            or mimetypes.guess_type(str(path))[0]
            or ("application/octet-stream")
        )

    def end_headers(self):
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        for name, value in ISOLATION_HEADERS.items() if self.isolated else ():
            self.send_header(name, value)
        super().end_headers()

    def list_directory(self, path):
        self.send_error(HTTPStatus.NOT_FOUND)
        return None

    def _model_request(self):
        route = self.path.split("?", 1)[0]
        if route == "/models.json":
            listing = {
                precision: {"url": f"models/{path.name}", "bytes": path.stat().st_size}
                for precision, path in self.models.items()
            }
            return json.dumps({"models": listing}).encode(), "application/json"
        for path in self.models.values():
            if route == f"/models/{path.name}":
                return path, "application/octet-stream"
        return None

    def _packed_wasm(self):
        """The `.wasm.gz` kept for a requested `.wasm` (the repo stores LiteRT's wasm gzipped)."""
        route = self.path.split("?", 1)[0]
        if not route.endswith(".wasm"):
            return None
        packed = Path(self.translate_path(route) + ".gz")
        return packed if packed.is_file() else None

    def _send(self, data, content_type, head, encoding=None):
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _serve_special(self, head):
        """Models, models.json and the gzipped wasm; False when the path is a plain file."""
        found = self._model_request()
        if found is not None:
            body, content_type = found
            data = body if isinstance(body, bytes) else body.read_bytes()
            self._send(data, content_type, head)
            return True
        packed = self._packed_wasm()
        if packed is None:
            return False
        data = packed.read_bytes()
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            self._send(data, "application/wasm", head, encoding="gzip")
        else:
            self._send(gzip.decompress(data), "application/wasm", head)
        return True

    def do_GET(self):
        if not self._serve_special(head=False):
            super().do_GET()

    def do_HEAD(self):
        if not self._serve_special(head=True):
            super().do_HEAD()

    def log_message(self, format, *args):
        pass  # quiet: the page is the interface


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a tab closed mid-download: nothing to report
        super().handle_error(request, client_address)


def make_server(host="127.0.0.1", port=DEFAULT_PORT, model="default", isolated=True):
    """A ThreadingHTTPServer for the app (not started); port 0 picks a free port. `isolated`
    False leaves out COOP/COEP (the page then runs LiteRT's one-thread build, as from a plain
    static server: for benchmarks).

    Raises:
        WebAppError: the port is taken or cannot be bound, or the model is not a .tflite.
    """
    models = model_files(model)
    handler = partial(_Handler, directory=str(static_root()), models=models, isolated=isolated)
    try:
        return _Server((host, port), handler)
    except OSError as err:
        reason = "already in use" if err.errno in (98, 48, 10048) else err.strerror
        raise WebAppError(f"cannot listen on {host}:{port}: {reason} (try --port)") from None


def url_of(server):
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve_in_thread(server):
    """Start `server` on a daemon thread (tests, notebooks); stop with `server.shutdown()`."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
