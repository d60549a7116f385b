"""A local HTTP receiver standing in for Slack, Teams or any webhook: records each JSON body it is posted."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ChatReceiver:
    def __init__(self, server: ThreadingHTTPServer):
        self.server = server
        self.received: list[tuple[str, dict]] = []

    def url(self, path: str = "/hook") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"


@contextmanager
def chat_receiver(status: int = 200) -> Iterator[ChatReceiver]:
    """Listen on 127.0.0.1 (a free port) in a thread; answer every POST with `status`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the http.server name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.received.append((self.path, json.loads(body or b"{}")))
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = ChatReceiver(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
