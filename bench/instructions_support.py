"""The fake Graph API and the throwaway PostgreSQL server of bench/instructions.py."""
import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port():
    """A free loopback port (bound once and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeGraph:
    """A Graph Send API on loopback that counts messages and typing indicators. answer=True
    answers each POST at once, as Meta does; answer=False never answers (replies held back)."""

    def __init__(self, answer):
        self.answer = answer
        self.changed = threading.Condition()
        self.messages = 0
        self.typing = 0
        self.released = threading.Event()
        graph = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_):
                pass

            def reply(self, value):
                body = json.dumps(value).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self.reply({"id": "17841400000000002", "name": "bench", "username": "bench"})

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    request = json.loads(raw or b"{}")
                except ValueError:
                    request = {}
                recipient = (request.get("recipient") or {}).get("id")
                with graph.changed:
                    if "sender_action" in request:
                        graph.typing += 1
                        answer = {"recipient_id": recipient}
                    else:
                        graph.messages += 1
                        answer = {"recipient_id": recipient, "message_id": "m_bench_%d" % graph.messages}
                    graph.changed.notify_all()
                if not graph.answer:
                    graph.released.wait()
                    self.close_connection = True
                    return
                self.reply(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def counts(self):
        with self.changed:
            return self.messages, self.typing

    def wait_for(self, messages, typing, timeout):
        """Waits until at least this many messages and typing indicators arrived."""
        with self.changed:
            if not self.changed.wait_for(lambda: self.messages >= messages and self.typing >= typing, timeout):
                raise SystemExit(f"instructions: the fake Graph API got {self.messages} messages and {self.typing} "
                                 f"typing indicators of {messages} and {typing} after {timeout} s")

    def stop(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


class Postgres:
    """A throwaway PostgreSQL server as `make bench` starts one (bench/run.sh start_postgres):
    the newest /usr/lib/postgresql/<version>/bin, initdb into .build beside the SQLite files,
    durable (fsync, synchronous_commit, full_page_writes on), TCP with a password on a free
    loopback port; its programs run as the `postgres` user when this runs as root."""

    def __init__(self, out):
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[4]))
        bins = [d for d in candidates if all(os.access(os.path.join(d, p), os.X_OK) for p in ("initdb", "pg_ctl", "psql"))]
        if not bins:
            raise SystemExit("instructions: PostgreSQL is missing (apt-get install postgresql)")
        self.bin = bins[-1]
        os.chmod(out, 0o755)  # the server's user reaches its folder through this one
        self.dir = tempfile.mkdtemp(prefix="instructions-pg.", dir=out)
        self.port = free_port()
        self.password = os.urandom(16).hex()
        with open(os.path.join(self.dir, "password"), "w") as f:
            f.write(self.password)
        if os.getuid() == 0:
            subprocess.run(["chown", "-R", "postgres:postgres", self.dir], check=True)
        self.run("initdb", "-D", f"{self.dir}/data", "-U", "postgres", f"--pwfile={self.dir}/password",
                 "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C")
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/server.log", "-w", "-t", "60", "-o",
                 f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=on "
                 "-c synchronous_commit=on -c full_page_writes=on", "start")

    def run(self, program, *arguments):
        command = [os.path.join(self.bin, program), *arguments]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--"] + command
        r = subprocess.run(command, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"instructions: {program} failed: {r.stdout}{r.stderr}")
        return r.stdout

    def database(self, name):
        """A fresh database; its URL."""
        self.run("psql", "-X", "-q", "-h", self.dir, "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                 "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}")
        return f"postgres://postgres:{self.password}@127.0.0.1:{self.port}/{name}?sslmode=disable"

    def stop(self):
        if os.path.exists(f"{self.dir}/data/postmaster.pid"):
            try:
                self.run("pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "-w", "stop")
            except SystemExit:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
