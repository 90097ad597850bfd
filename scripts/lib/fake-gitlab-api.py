#!/usr/bin/env python3
"""A stand-in for the GitLab project variables API, for testing the rotation job template:
GET/PUT /api/v4/projects/<id>/variables/<key>, POST /api/v4/projects/<id>/variables, with the
PRIVATE-TOKEN header checked. Variables are kept in STATE_FILE (JSON) after every change.
usage: fake-gitlab-api.py TOKEN STATE_FILE   (prints "port=<n>" once listening, on loopback)"""
import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

TOKEN, STATE = sys.argv[1], sys.argv[2]
variables = {"TWINGATE_SERVICE_KEY": {"key": "TWINGATE_SERVICE_KEY", "value": "old", "masked": True}}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self):
        if self.headers.get("PRIVATE-TOKEN") != TOKEN:
            self.reply(401, {"message": "401 Unauthorized"})
            return None
        parts = urllib.parse.urlparse(self.path).path.strip("/").split("/")
        if parts[:3] != ["api", "v4", "projects"] or len(parts) < 5 or parts[4] != "variables":
            self.reply(404, {"message": "404 Not Found"})
            return None
        return parts[5] if len(parts) > 5 else ""

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        return {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(n).decode(), keep_blank_values=True).items()}

    def save(self):
        with open(STATE, "w") as f:
            json.dump(variables, f)

    def do_GET(self):
        key = self.route()
        if key is None:
            return
        if key in variables:
            self.reply(200, variables[key])
        else:
            self.reply(404, {"message": "404 Variable Not Found"})

    def do_PUT(self):
        key = self.route()
        if key is None:
            return
        if key not in variables:
            self.reply(404, {"message": "404 Variable Not Found"})
            return
        variables[key].update(self.form())
        self.save()
        self.reply(200, variables[key])

    def do_POST(self):
        if self.route() is None:
            return
        f = self.form()
        variables[f["key"]] = f
        self.save()
        self.reply(201, f)


server = HTTPServer(("127.0.0.1", 0), Handler)
print(f"port={server.server_address[1]}", flush=True)
server.serve_forever()
