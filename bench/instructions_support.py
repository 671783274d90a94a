"""What bench/instructions.py runs the host with: the webhooks it sends, the fake Graph API,
the throwaway PostgreSQL server, and what valgrind 3.19 needs to run the host at all."""
import glob
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "instructions-app-secret"
ACCOUNT = "17841400000000002"

SHIM_SOURCE = r"""
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
/* valgrind writes into the mask it is given; libdispatch's is read-only: hand over a copy. */
int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, (size_t)(_NSIG / 8));
}
"""


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
        self.first_at = None  # time.monotonic() of the first POST
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
                self.reply({"id": ACCOUNT, "name": "bench", "username": "bench"})

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    request = json.loads(raw or b"{}")
                except ValueError:
                    request = {}
                recipient = (request.get("recipient") or {}).get("id")
                with graph.changed:
                    if graph.first_at is None:
                        graph.first_at = time.monotonic()
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

    def wait_for_first(self, timeout):
        """Waits for the first POST; its time.monotonic()."""
        with self.changed:
            if not self.changed.wait_for(lambda: self.first_at is not None, timeout):
                raise SystemExit(f"instructions: the fake Graph API got nothing after {timeout} s")
            return self.first_at

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
        # The server's user reaches its folder through `out` and the folders above it, up to
        # .build (make bench puts `out` in a folder of its own, made private by mktemp): they
        # get search permission (x) for others, nothing more.
        os.chmod(out, 0o755)
        build = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".build")
        folder = os.path.dirname(os.path.abspath(out))
        while folder.startswith(build + os.sep):
            mode = os.stat(folder).st_mode
            if not mode & 0o001:
                os.chmod(folder, (mode & 0o7777) | 0o011)
            folder = os.path.dirname(folder)
        self.dir = tempfile.mkdtemp(prefix="instructions-pg.", dir=out)
        self.port = free_port()
        self.password = os.urandom(16).hex()
        self.created = 0
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
        """A fresh database (the name numbered, so a second host of that name gets its own); its URL."""
        self.created += 1
        name = f"{name}_{self.created}"
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


class Webhooks:
    """Signed Instagram text webhooks, each from a new sender with a new message id, all of the
    same length (ids and numbers are zero-padded)."""

    def __init__(self, series):
        self.series = series
        self.count = 0
        self.base = int(time.time()) * 1000

    def next(self):
        self.count += 1
        n, ts = self.count, self.base + self.count
        body = {"object": "instagram", "entry": [{"id": ACCOUNT, "time": ts, "messaging": [{
            "sender": {"id": "93%02d%012d" % (self.series, n)}, "recipient": {"id": ACCOUNT}, "timestamp": ts,
            "message": {"mid": "mid.in.%02d.%08d" % (self.series, n), "text": "bench message %05d" % n}}]}]}
        return json.dumps(body, separators=(",", ":")).encode()


def prepare(options):
    """The debug-stripped copy of the binary and the sigsuspend shim, in --out."""
    os.makedirs(options.out, exist_ok=True)
    with open(options.bin, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    options.binary = os.path.join(options.out, f"sandra-{digest}-nodebug")
    if not os.path.exists(options.binary):
        subprocess.run(["objcopy", "--strip-debug", options.bin, options.binary + ".part"], check=True)
        os.replace(options.binary + ".part", options.binary)
    source = os.path.join(options.out, "sigsuspend_shim.c")
    options.shim = source[:-2] + ".so"
    with open(source, "w") as f:
        f.write(SHIM_SOURCE)
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not compiler:
        sys.exit("instructions: a C compiler (cc) is needed for the sigsuspend shim")
    subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", options.shim, source], check=True)
    return digest
