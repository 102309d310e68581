"""The least a dose request can cost here: a WSGI app that reads the body and answers a
fixed 201, under the same gunicorn and driven by the same clients as the dose API.
`bench/record_doses.py` reports its rate as the HTTP floor of the machine."""

BODY = b'{"id": 1, "status": "recorded"}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("201 Created", HEADERS)
    return [BODY]
