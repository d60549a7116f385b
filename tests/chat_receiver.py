"""A local HTTP receiver standing in for Slack, Teams or any webhook: records each JSON body it is posted."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ChatReceiver:
    def __init__(self, server: ThreadingHTTPServer, status: int):
        self.server = server
        self.status = status  # what every POST is answered; a test may change it (a channel down, then back)
        self.received: list[tuple[str, dict]] = []  # every POST
        self.accepted: list[dict] = []  # the bodies of those answered with a success

    def url(self, path: str = "/hook") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"


@contextmanager
def chat_receiver(status: int = 200) -> Iterator[ChatReceiver]:
    """Listen on 127.0.0.1 (a free port) in a thread; answer every POST with `status` (`receiver.status`)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the http.server name)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            receiver.received.append((self.path, body))
            if receiver.status < 300:
                receiver.accepted.append(body)
            self.send_response(receiver.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = ChatReceiver(server, status)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
