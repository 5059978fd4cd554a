"""The benchlab guestbook as a WSGI app, for gunicorn: the server the original experiment chose.

It meets the same contract as the Node core (ARCHITECTURE.md): one table, one page, the same
status codes, headers and escaping, so it can stand in the same table. Standard library and
PyMySQL only (Debian: gunicorn, python3-pymysql).
"""
import os
import secrets
import hmac
from urllib.parse import urlsplit, unquote

import pymysql

MAX_FORM_BYTES = 16384
MAX_BODY_CHARS = 1000
PAGE_ENTRIES = 20
FORM_TYPE = "application/x-www-form-urlencoded"
BACKEND = os.environ.get("BENCHLAB_BACKEND", "ref-gunicorn")
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
    "body VARCHAR(1000) NOT NULL, created_at DATETIME(3) NOT NULL) "
    "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
)
STATUS_TEXT = {200: "OK", 302: "Found", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
               405: "Method Not Allowed", 413: "Payload Too Large", 415: "Unsupported Media Type",
               500: "Internal Server Error", 503: "Service Unavailable"}
HEX = "0123456789abcdefABCDEF"


def _database():
    url = urlsplit(os.environ["DATABASE_URL"])
    return dict(host=url.hostname or "127.0.0.1", port=url.port or 3306, user=unquote(url.username or "root"),
                password=unquote(url.password or ""), database=url.path.lstrip("/"), charset="utf8mb4",
                autocommit=True, connect_timeout=2, read_timeout=10, write_timeout=10)


class Store:
    """One connection per worker process: a sync worker serves one request at a time."""

    def __init__(self):
        self.conn = None
        self.schema_ready = False

    def _cursor(self):
        if self.conn is None:
            self.conn = pymysql.connect(**_database())
        else:
            self.conn.ping(reconnect=True)
        cur = self.conn.cursor()
        if not self.schema_ready:
            cur.execute(SCHEMA)
            self.schema_ready = True
        return cur

    def run(self, sql, args=None):
        try:
            cur = self._cursor()
            cur.execute(sql, args)
            return cur.fetchall()
        except Exception:
            # Drop a broken connection so the next request starts afresh.
            if self.conn is not None:
                try:
                    self.conn.close()
                except Exception:
                    pass
            self.conn = None
            raise


store = Store()


def escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def headers():
    return [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'"),
            ("X-Backend", BACKEND), ("X-Worker", str(os.getpid()))]


HEAD = '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Guestbook</title></head>\n<body>\n'


def error(status, reason, extra=()):
    body = "%s<h1>%d %s</h1>\n<p>%s</p>\n</body></html>\n" % (HEAD, status, STATUS_TEXT.get(status, "Error"), escape(reason))
    return status, headers() + list(extra), body


def cookie_token(environ):
    for part in environ.get("HTTP_COOKIE", "").split(";"):
        name, eq, value = part.partition("=")
        if eq and name.strip() == "csrftoken":
            value = value.strip()
            return value if len(value) == 32 and all(c in "0123456789abcdef" for c in value) else None
    return None


def decode_component(raw):
    """Percent-decoding with '+' as space and strict UTF-8; None when malformed."""
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x2B:
            out.append(0x20)
        elif c == 0x25:
            pair = raw[i + 1:i + 3]
            if len(pair) < 2 or chr(pair[0]) not in HEX or chr(pair[1]) not in HEX:
                return None
            out.append(int(pair.decode("ascii"), 16))
            i += 2
        else:
            out.append(c)
        i += 1
    try:
        return out.decode("utf-8", "strict")
    except UnicodeDecodeError:
        return None


def parse_form(raw):
    fields = {}
    for part in raw.split(b"&"):
        if not part:
            continue
        name, eq, value = part.partition(b"=")
        name, value = decode_component(name), decode_component(value)
        if name is None or value is None:
            return None
        fields.setdefault(name, []).append(value)
    return fields


def single(fields, name):
    values = fields.get(name, [])
    return values[0] if len(values) == 1 else None


def show_page(environ):
    token = cookie_token(environ)
    fresh = token is None
    if fresh:
        token = secrets.token_hex(16)
    rows = store.run("SELECT id, body, created_at FROM entries ORDER BY id DESC LIMIT %d" % PAGE_ENTRIES)
    items = "".join(
        '<li id="e%d"><time datetime="%s">%s</time> %s</li>\n'
        % (row[0], _iso(row[2]), _iso(row[2]), escape(row[1])) for row in rows)
    body = (HEAD + "<h1>Guestbook</h1>\n<form method=\"post\" action=\"/\">\n"
            '<input type="hidden" name="csrf" value="%s">\n' % token
            + '<textarea name="body" maxlength="%d" required></textarea>\n' % MAX_BODY_CHARS
            + "<button type=\"submit\">Sign</button>\n</form>\n"
            + '<ol class="entries">\n%s</ol>\n</body></html>\n' % items)
    extra = [("Set-Cookie", "csrftoken=%s; Path=/; SameSite=Lax; HttpOnly" % token)] if fresh else []
    return 200, headers() + extra, body


def _iso(when):
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (when.microsecond // 1000)


def add_entry(environ):
    media = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if media != FORM_TYPE:
        return error(415, "POST / takes " + FORM_TYPE)
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return error(400, "bad Content-Length")
    if length > MAX_FORM_BYTES:
        return error(413, "the form is larger than %d bytes" % MAX_FORM_BYTES, [("Connection", "close")])
    raw = environ["wsgi.input"].read(length) if length else b""
    # A client that closed before sending its whole body gets no row from the part that came.
    if len(raw) != length:
        return error(400, "the body ended before its Content-Length")
    fields = parse_form(raw)
    if fields is None:
        return error(400, "the form is not valid urlencoded UTF-8")
    cookie = cookie_token(environ)
    form_token = single(fields, "csrf")
    if cookie is None or form_token is None or not hmac.compare_digest(cookie, form_token):
        return error(403, "the CSRF token is missing or does not match the cookie")
    body = single(fields, "body")
    if body is None or not 1 <= len(body) <= MAX_BODY_CHARS:
        return error(400, "the field body must hold 1 to %d characters" % MAX_BODY_CHARS)
    if "\x00" in body:
        return error(400, "the field body must not contain NUL")
    store.run("INSERT INTO entries (body, created_at) VALUES (%s, NOW(3))", (body,))
    return 302, headers() + [("Location", "/")], ""


def health():
    try:
        store.run("SELECT 1")
        return 200, [h for h in headers() if h[0] != "Content-Type"] + [("Content-Type", "text/plain; charset=utf-8")], "ok\n"
    except Exception:
        return 503, [h for h in headers() if h[0] != "Content-Type"] + [("Content-Type", "text/plain; charset=utf-8")], "database unavailable\n"


def route(environ):
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
    try:
        if path == "/":
            if method in ("GET", "HEAD"):
                return show_page(environ)
            if method == "POST":
                return add_entry(environ)
            return error(405, "%s is not allowed on /" % method, [("Allow", "GET, HEAD, POST")])
        if path == "/healthz":
            if method in ("GET", "HEAD"):
                return health()
            return error(405, "%s is not allowed on /healthz" % method, [("Allow", "GET, HEAD, POST")])
        return error(404, "no page at " + path)
    except pymysql.MySQLError:
        return error(503, "the database did not answer")


def app(environ, start_response):
    status, response_headers, body = route(environ)
    data = body.encode("utf-8")
    start_response("%d %s" % (status, STATUS_TEXT.get(status, "Error")), response_headers + [("Content-Length", str(len(data)))])
    return [b"" if environ["REQUEST_METHOD"] == "HEAD" else data]
