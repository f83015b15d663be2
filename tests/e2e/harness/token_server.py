#!/usr/bin/env python3
"""STAND-IN: a registry token service (Docker registry token authentication).

Docker Hub's token service (auth.docker.io) and ghcr.io's (ghcr.io/token)
are closed services that no Debian package provides, so this script plays
them. Everything else the tests run is real: Debian's docker-registry
verifies the tokens issued here exactly as it would verify Docker Hub's
(`auth: token:` with `rootcertbundle`), and the clients are the real
docker, ctr, podman and skopeo.

What it does, following the token specification of distribution
(docs/spec/auth/token.md and oauth.md):

- GET  /token?service=S&scope=repository:NAME:ACTIONS[&scope=...]
  answers {"token", "access_token", "expires_in", "issued_at"} with a JWT
  granting exactly the requested repository actions;
- POST /token with an OAuth2 form (grant_type=password with username and
  password, or grant_type=refresh_token; `scope` space-separated) answers
  {"access_token", "expires_in", "issued_at", "scope"};
- Basic credentials (GET) or form credentials (POST) must name the one
  test account when given (any other pair gets 401), and may be left out
  (anonymous, like pulling public images from Docker Hub);
- the JWT is RS256, signed by the openssl command line (no crypto library
  needed), and carries the signing certificate in `x5c`; docker-registry
  trusts it through `rootcertbundle`.

Every request is appended as one JSON line to --requests-log (method,
path, scopes, account, whether credentials were good), so a test can tell
which token requests pullgate let through. The password is never written.

Run by harness/hub_world.py; standard library only:

    token_server.py --listen ADDR:PORT [--tls-cert C --tls-key K]
                    --signing-key K --signing-cert C --issuer I --service S
                    --account USER:PASSWORD --requests-log FILE
"""

import argparse
import base64
import binascii
import http.server
import json
import secrets
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

TOKEN_TTL = 300
SIGN_TIMEOUT = 20


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pem_to_der_b64(path):
    """The certificate at `path` as base64 DER (the form `x5c` wants)."""
    with open(path) as f:
        text = f.read()
    body = text.split("-----BEGIN CERTIFICATE-----", 1)[1].split("-----END CERTIFICATE-----", 1)[0]
    return "".join(body.split())


def parse_scope(text):
    """"repository:NAME:ACTIONS" (NAME may hold a ':' for a port) ->
    access entry, or None for a malformed scope."""
    head, sep, actions = text.rpartition(":")
    if not sep:
        return None
    resource_type, sep, name = head.partition(":")
    if not sep or not name:
        return None
    resource_class = ""
    if "(" in resource_type and resource_type.endswith(")"):
        resource_type, resource_class = resource_type[:-1].split("(", 1)
    entry = {"type": resource_type, "name": name,
             "actions": [a for a in actions.split(",") if a]}
    if resource_class:
        entry["class"] = resource_class
    return entry


class TokenService:
    def __init__(self, args):
        self.issuer = args.issuer
        self.service = args.service
        self.signing_key = args.signing_key
        self.x5c = [pem_to_der_b64(args.signing_cert)]
        user, _, password = args.account.partition(":")
        self.account = (user, password)
        self.log_path = args.requests_log
        self.lock = threading.Lock()

    def sign(self, signing_input):
        p = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.signing_key],
                           input=signing_input, capture_output=True, timeout=SIGN_TIMEOUT)
        if p.returncode != 0:
            raise RuntimeError("openssl dgst -sign failed: " + p.stderr.decode(errors="replace"))
        return p.stdout

    def token(self, subject, access):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        claims = {"iss": self.issuer, "sub": subject, "aud": self.service,
                  "exp": now + TOKEN_TTL, "nbf": now - 10, "iat": now,
                  "jti": secrets.token_hex(12), "access": access}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        return signing_input + "." + b64url(self.sign(signing_input.encode()))

    def check(self, user, password):
        """None when anonymous, True for the test account, False otherwise."""
        if user is None:
            return None
        return (user, password) == self.account

    def log(self, entry):
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.lock, open(self.log_path, "a") as f:
            f.write(line)


def basic_credentials(header):
    if not header or not header.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    user, _, password = decoded.partition(":")
    return user, password


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pullgate-e2e-token-stand-in"
    timeout = 30  # a silent client never holds a thread for long

    def log_message(self, fmt, *args):  # quiet; the requests log says it all
        pass

    @property
    def svc(self):
        return self.server.token_service

    def answer(self, status, body, extra_headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            return self.answer(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        user, password = basic_credentials(self.headers.get("Authorization"))
        self.issue("GET", query, user, password, oauth=False)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        if url.path != "/token":
            return self.answer(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
        form = urllib.parse.parse_qs(body, keep_blank_values=True)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        for k, v in query.items():
            form.setdefault(k, []).extend(v)
        grant = (form.get("grant_type") or [""])[0]
        user = password = None
        if grant == "password":
            user = (form.get("username") or [""])[0]
            password = (form.get("password") or [""])[0]
        elif grant == "refresh_token":
            # Refresh tokens are never issued here; a client that has one
            # did not get it from us.
            return self.answer(400, {"error": "invalid_grant"})
        else:
            return self.answer(400, {"error": "unsupported_grant_type"})
        self.issue("POST", form, user, password, oauth=True)

    def issue(self, method, params, user, password, oauth):
        scopes = []
        for field in params.get("scope", []):
            scopes.extend(s for s in field.split(" ") if s)
        service = (params.get("service") or [""])[0]
        verdict = self.svc.check(user, password)
        entry = {"time": time.time(), "method": method, "path": self.path.split("?")[0],
                 "service": service, "scopes": scopes, "account": user,
                 "credentials": {None: "none", True: "good", False: "bad"}[verdict],
                 "grant_type": (params.get("grant_type") or [None])[0],
                 "user_agent": self.headers.get("User-Agent")}
        self.svc.log(entry)
        if verdict is False:
            return self.answer(401, {"details": "incorrect username or password"},
                               [("WWW-Authenticate", 'Basic realm="token stand-in"')])
        access = [a for a in (parse_scope(s) for s in scopes) if a]
        try:
            token = self.svc.token(user or "", access)
        except Exception as e:  # reported to the client and the test's logs
            print(f"token signing failed: {e}", file=sys.stderr, flush=True)
            return self.answer(500, {"details": "signing failed"})
        issued_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if oauth:
            body = {"access_token": token, "expires_in": TOKEN_TTL, "issued_at": issued_at,
                    "scope": " ".join(scopes)}
        else:
            body = {"token": token, "access_token": token, "expires_in": TOKEN_TTL,
                    "issued_at": issued_at}
        self.answer(200, body)


class Server(http.server.ThreadingHTTPServer):
    """One thread per connection; with TLS, the handshake happens in that
    thread too, so a client that never finishes it blocks nobody else."""

    tls = None

    def finish_request(self, request, client_address):
        if self.tls is not None:
            request.settimeout(Handler.timeout)
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                request.close()
                return
        super().finish_request(request, client_address)


def main():
    ap = argparse.ArgumentParser(description="token service stand-in")
    ap.add_argument("--listen", required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--signing-key", required=True)
    ap.add_argument("--signing-cert", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--account", required=True)
    ap.add_argument("--requests-log", required=True)
    args = ap.parse_args()

    address, port = args.listen.rsplit(":", 1)
    server = Server((address, int(port)), Handler)
    server.daemon_threads = True
    server.token_service = TokenService(args)
    if args.tls_cert:
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.load_cert_chain(args.tls_cert, args.tls_key)
    print(f"token stand-in for {args.service} listening on {args.listen}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
