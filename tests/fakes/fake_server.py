"""What every HTTP fake shares: its command line and serving loop on 127.0.0.1.

    fake_server.serve(Handler, "A fake ... for tests.", default_token="...")

Parses --port (0: any free one), --token and --verbose, sets Handler.token and
Handler.verbose, prints exactly one line "READY <port>" once listening, and serves until
interrupted."""

import argparse
from http.server import ThreadingHTTPServer


def serve(handler, description, default_token):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--token", default=default_token, help="the access token it accepts")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    opts = parser.parse_args()
    handler.token = opts.token
    handler.verbose = opts.verbose
    server = ThreadingHTTPServer(("127.0.0.1", opts.port), handler)
    server.daemon_threads = True
    print(f"READY {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
