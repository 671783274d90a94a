#!/usr/bin/env python3
"""Instructions per request and per message of the release host, counted by callgrind.

    bench/instructions.py [--bin .build/release/sandra] [--store sqlite|postgres|both]
                          [--repeat 2] [--markdown FILE] [--json FILE]

Wall-clock times swing between runs on a shared machine; instruction counts do not. Each
unit is counted with `valgrind --tool=callgrind` (all threads of the host), between
`callgrind_control -z` (zero) and `callgrind_control -d` (dump), and divided by the requests
or messages of the phase:

  bare      POST /bench/ack (server.benchmark_routes: true): the HTTP stack alone
  ingest    a signed Instagram text webhook accepted while replies are held back (the fake
            Graph API never answers; pipeline.max_concurrent_conversations: 1, so one
            conversation waits on the Graph and every other message stays queued)
  answered  the same webhook answered: ingestion, the echo assistant, a typing indicator and
            the reply POSTed to a fake Graph API that answers at once; the dump is taken
            once every reply and typing indicator reached it

A repetition runs two hosts (the first for bare and ingest, the second for answered); the
script runs --repeat repetitions and prints each one and their spread. Requests go one after
another over one keep-alive connection, after a warm-up; every body is a new sender and
message id of the same length. The host runs pinned to one CPU (--cpus; NIO and the Swift
executor then use one thread each), with SWIFT_DETERMINISTIC_HASHING=1 and
typing_indicator_delay_ms: 0 (a typing indicator before every answer whatever valgrind's
speed), so two repetitions agree within a fraction of a percent.

Valgrind 3.19 (Debian 12) needs two things to run the host: a copy of the binary without
its debug sections (it cannot read the DWARF 5 the Swift toolchain writes; the symbol table
stays, so the names do too), and an LD_PRELOAD shim for sigsuspend(), which libdispatch
calls with a mask in read-only memory that valgrind writes into. Both are made in --out.

Each unit is also split into stages (HTTP server, HMAC, JSON, store, dispatch, assistant
client, render and split, Graph client, logging and metrics): see bench/callgrind_stages.py.
--store postgres runs the same on PostgreSQL: a throwaway server started as `make bench`
starts its own (initdb in .build, durable settings, a fresh database per host).
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import callgrind_stages  # noqa: E402
from instructions_support import FakeGraph, Postgres, free_port  # noqa: E402

SECRET = "instructions-app-secret"
ACCOUNT = "17841400000000002"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

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


def log(text):
    print(time.strftime("%H:%M:%S ") + text, file=sys.stderr, flush=True)


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


class Host:
    """The host under callgrind, on a fresh SQLite file or PostgreSQL database."""

    def __init__(self, options, name, graph, max_conversations, database_url=None):
        self.dir = os.path.join(options.out, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.port = free_port()
        storage = f'{{path: "{self.dir}/db/sandra.sqlite"}}'
        admin = ""
        if database_url:
            storage = f'{{path: "{self.dir}/db/sandra.sqlite", postgres: {{url: "{database_url}"}}}}'
            admin = f"admin: {{secret_key: {os.urandom(32).hex()}}}\n"
        config = os.path.join(self.dir, "host.yaml")
        with open(config, "w") as f:
            f.write(f"""server: {{host: 127.0.0.1, port: {self.port}, shutdown_timeout_seconds: 2, benchmark_routes: true}}
storage: {storage}
{admin}assistant: {{type: echo}}
identity: {{enabled: false}}
pipeline: {{max_concurrent_conversations: {max_conversations}, typing_indicator_delay_ms: 0}}
channels:
  instagram: {{type: instagram, sandbox: false, access_token: instructions-token, verify_token: instructions-verify,
              app_secret: {SECRET}, api_version: v19.0, graph_api_base_url: "http://127.0.0.1:{graph.port}"}}
""")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("INSTAGRAM_", "WHATSAPP_", "MESSENGER_", "SANDRA_", "OPENAI_"))}
        env.update(LD_PRELOAD=options.shim, SWIFT_DETERMINISTIC_HASHING="1")
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={self.dir}/callgrind.out.%p",
                   "--collect-atstart=yes", "--vgdb=yes", options.binary, "serve", "--config", config]
        if options.cpus:
            command = ["taskset", "-c", options.cpus] + command
        self.log = open(os.path.join(self.dir, "host.log"), "w")
        self.process = subprocess.Popen(command, cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.connection = None
        self.wait_ready(options.start_timeout)

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"instructions: the host exited at start-up; see {self.dir}/host.log")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/readyz")
                ready = c.getresponse().status == 200
                c.close()
                if ready:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        sys.exit(f"instructions: the host was not ready after {timeout} s; see {self.dir}/host.log")

    def post(self, path, body):
        """POSTs a signed body over the kept-alive connection; returns the status."""
        headers = {"Content-Type": "application/json",
                   "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            try:
                self.connection.request("POST", path, body=body, headers=headers)
                response = self.connection.getresponse()
                response.read()
                if response.will_close:
                    self.connection.close()
                    self.connection = None
                return response.status
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        return 0

    def send(self, path, webhooks, count):
        refused = sum(1 for _ in range(count) if self.post(path, webhooks.next()) != 200)
        if refused:
            self.stop()
            sys.exit(f"instructions: {refused} of {count} requests to {path} were not answered 200")

    def control(self, *arguments):
        r = subprocess.run(["callgrind_control", *arguments, str(self.process.pid)],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            sys.exit(f"instructions: callgrind_control {' '.join(arguments)} failed: {r.stdout}{r.stderr}")

    def zero(self):
        self.control("-z")

    def dump(self, label):
        """Dumps the counts since the last zero; returns the dump's path."""
        before = set(os.listdir(self.dir))
        self.control(f"--dump={label}")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for name in sorted(set(os.listdir(self.dir)) - before):
                path = os.path.join(self.dir, name)
                if name.startswith("callgrind.out."):
                    with open(path, errors="replace") as f:
                        text = f.read()
                    if label in text[:4000] and "\ntotals:" in text:
                        return path
            time.sleep(0.3)
        sys.exit(f"instructions: callgrind wrote no dump {label}")

    def stop(self):
        if self.connection:
            self.connection.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def measure(host, label, count, run):
    """Zeroes the counts, runs the phase, dumps: the unit's total and dump."""
    host.zero()
    started = time.monotonic()
    run()
    path = host.dump(label)
    dump = callgrind_stages.read_dump(path)
    log(f"  {label}: {dump.total:,} instructions / {count} = {dump.total / count:,.0f} each "
        f"({time.monotonic() - started:.0f} s)")
    return {"total": dump.total, "count": count, "per": dump.total / count, "dump": path}


def repetition(options, store, number, postgres):
    """One repetition: bare and ingest on a host whose Graph never answers, then answered."""
    units = {}
    tag = f"{store}-{number}"
    log(f"{store}, repetition {number}: bare and ingest (replies held back)")
    graph = FakeGraph(answer=False)
    url = postgres.database(f"ingest_{number}") if postgres else None
    host = Host(options, f"{tag}-ingest", graph, 1, url)
    try:
        webhooks = Webhooks(10 + number)
        host.send("/bench/ack", webhooks, options.warmup)
        units["bare"] = measure(host, f"{tag}-bare", options.bare,
                                lambda: host.send("/bench/ack", webhooks, options.bare))
        host.send("/api/channels/instagram", webhooks, options.warmup)
        time.sleep(options.settle)
        units["ingest"] = measure(host, f"{tag}-ingest", options.ingest,
                                  lambda: host.send("/api/channels/instagram", webhooks, options.ingest))
    finally:
        host.stop()
        graph.stop()
    log(f"{store}, repetition {number}: answered (the fake Graph API answers at once)")
    graph = FakeGraph(answer=True)
    url = postgres.database(f"answered_{number}") if postgres else None
    host = Host(options, f"{tag}-answered", graph, 64, url)
    try:
        webhooks = Webhooks(30 + number)
        host.send("/api/channels/instagram", webhooks, options.warmup)
        graph.wait_for(options.warmup, options.warmup, 600)
        time.sleep(options.settle)
        messages, typing = graph.counts()

        def answered():
            host.send("/api/channels/instagram", webhooks, options.answered)
            graph.wait_for(messages + options.answered, typing + options.answered, 900)
            time.sleep(options.settle)  # the host records each delivery after the Graph's answer
        units["answered"] = measure(host, f"{tag}-answered", options.answered, answered)
    finally:
        host.stop()
        graph.stop()
    return units


def spread(values):
    return (max(values) - min(values)) / min(values) * 100 if len(values) > 1 else 0.0


UNITS = [("bare", "no-op request (`POST /bench/ack`)"),
         ("ingest", "accepted webhook, replies held back"),
         ("answered", "answered message (ingest + typing + echo reply)")]


def stage_tables(reps):
    """Per store: {unit: {stage: instructions per unit}} from the last repetition's dumps."""
    last = reps[-1]
    dumps = {unit: callgrind_stages.read_dump(last[unit]["dump"]) for unit, _ in UNITS}
    symbols = set()
    for d in dumps.values():
        symbols |= set(d.own) | {callee for _, callee in d.edges}
    names = callgrind_stages.demangle(symbols)
    table = {}
    for unit, _ in UNITS:
        by_stage, _ = callgrind_stages.attribute(dumps[unit], names)
        table[unit] = {stage: cost / last[unit]["count"] for stage, cost in by_stage.items()}
    top = callgrind_stages.top_functions(dumps["answered"], names)
    return table, top


def render(results, seconds):
    """The counts and the stage tables as markdown (printed and, with --markdown, written)."""
    lines = []
    for store, data in results.items():
        reps = data["reps"]
        lines += [f"Instructions per unit (callgrind, all threads, release build, host pinned to one CPU; {store}):", "",
                  "| unit | " + " | ".join(f"repetition {i + 1}" for i in range(len(reps))) + " | spread |",
                  "|---|" + "---:|" * (len(reps) + 1)]
        for unit, label in UNITS:
            values = [r[unit]["per"] for r in reps]
            lines.append(f"| {label} | " + " | ".join(f"{v:,.0f}" for v in values) + f" | {spread(values):.2f} % |")
        values = [r["answered"]["per"] - r["ingest"]["per"] for r in reps]
        lines.append("| of which the pipeline and reply (answered − ingest) | "
                     + " | ".join(f"{v:,.0f}" for v in values) + " | |")
        table = data["stages"]
        lines += ["", f"Per stage ({store}, last repetition; runtime and library code booked on its callers):", "",
                  "| stage | no-op request | accepted webhook | answered message | pipeline and reply |",
                  "|---|---:|---:|---:|---:|"]
        for stage in callgrind_stages.STAGES:
            cells = []
            for unit in ("bare", "ingest", "answered"):
                total = sum(table[unit].values())
                cells.append(f"{table[unit][stage]:,.0f} ({100 * table[unit][stage] / total:.1f} %)")
            cells.append(f"{table['answered'][stage] - table['ingest'][stage]:,.0f}")
            lines.append(f"| {stage} | " + " | ".join(cells) + " |")
        lines.append("")
    wide = [f"{store} {label}" for store, data in results.items() for unit, label in UNITS
            if spread([r[unit]["per"] for r in data["reps"]]) > 0.5]
    if wide:
        lines.append("Repetitions more than 0.5 % apart (" + "; ".join(wide) + "): other work on the CPUs changes "
                     "how requests and replies interleave (event-loop wake-ups, task switches, batched commits); "
                     "compare such numbers with care, or count again on a quiet machine.")
        lines.append("")
    lines.append(f"valgrind run time: {seconds:.0f} s.")
    return "\n".join(lines)


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_bin = os.path.join(os.environ.get("BENCH_BIN", os.path.join(ROOT, ".build", "release")), "sandra")
    parser.add_argument("--bin", default=default_bin, help="the release sandra binary (default: %(default)s)")
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--out", default=None, help="dumps, host logs and the stripped binary (default: a new folder in .build)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--bare", type=int, default=500, help="no-op requests counted (default %(default)s)")
    parser.add_argument("--ingest", type=int, default=500, help="webhooks counted with replies held back (default %(default)s)")
    parser.add_argument("--answered", type=int, default=300, help="answered messages counted (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=20, help="requests before each count")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds of quiet before zeroing and after the last reply")
    parser.add_argument("--cpus", default="0", help="taskset -c list for the host ('' for none; default %(default)s)")
    parser.add_argument("--start-timeout", type=float, default=600)
    parser.add_argument("--markdown", help="also write the tables (markdown) to this file")
    parser.add_argument("--json", help="also write the results (JSON) to this file")
    options = parser.parse_args()
    for tool in ("valgrind", "callgrind_control", "objcopy"):
        if not shutil.which(tool):
            sys.exit(f"instructions: {tool} is missing (apt-get install valgrind binutils)")
    if not os.access(options.bin, os.X_OK):
        sys.exit(f"instructions: {options.bin} is missing; swift build -c release --product sandra")
    if options.out is None:
        os.makedirs(os.path.join(ROOT, ".build"), exist_ok=True)
        options.out = tempfile.mkdtemp(prefix="instructions.", dir=os.path.join(ROOT, ".build"))
    digest = prepare(options)
    log(f"binary {options.bin} (sha256 {digest}…), counting under valgrind; dumps in {options.out}")
    started = time.monotonic()
    results = {}
    for store in (["sqlite", "postgres"] if options.store == "both" else [options.store]):
        postgres = Postgres(options.out) if store == "postgres" else None
        try:
            reps = [repetition(options, store, n, postgres) for n in range(1, options.repeat + 1)]
        finally:
            if postgres:
                postgres.stop()
        stages, top = stage_tables(reps)
        results[store] = {"reps": reps, "stages": stages,
                          "top_answered": [{"instructions": c, "stage": s, "function": f} for c, s, f in top]}
    seconds = time.monotonic() - started
    text = render(results, seconds)
    print(text)
    if options.markdown:
        with open(options.markdown, "w") as f:
            f.write(text + "\n")
    if options.json:
        with open(options.json, "w") as f:
            json.dump({"binary": options.bin, "sha256": digest, "seconds": seconds, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
