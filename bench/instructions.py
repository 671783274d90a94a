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
import contextlib
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
from instructions_support import SECRET, FakeGraph, Postgres, Webhooks, free_port, prepare  # noqa: E402

# How long the host waits for one Graph API call (GraphAPIClient's default timeout).
GRAPH_TIMEOUT_SECONDS = 15
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(text):
    print(time.strftime("%H:%M:%S ") + text, file=sys.stderr, flush=True)


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
              app_secret: {SECRET}, api_version: v27.0, graph_api_base_url: "http://127.0.0.1:{graph.port}"}}
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

    def send(self, path, webhooks, count, until=None):
        """Sends count requests, or fewer if time.monotonic() reaches `until`; how many it sent."""
        sent = refused = 0
        while sent < count and (until is None or time.monotonic() < until):
            refused += self.post(path, webhooks.next()) != 200
            sent += 1
        if refused:
            self.stop()
            sys.exit(f"instructions: {refused} of {sent} requests to {path} were not answered 200")
        return sent

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


def measure(host, label, run):
    """Zeroes the counts, runs the phase (which returns its count of units), dumps: the
    unit's total and dump."""
    host.zero()
    started = time.monotonic()
    count = run()
    path = host.dump(label)
    dump = callgrind_stages.read_dump(path)
    log(f"  {label}: {dump.total:,} instructions / {count} = {dump.total / count:,.0f} each "
        f"({time.monotonic() - started:.0f} s)")
    return {"total": dump.total, "count": count, "per": dump.total / count, "dump": path}


@contextlib.contextmanager
def host_and_graph(options, name, answer, max_conversations, postgres):
    """A fake Graph API (answering or not) and a host under callgrind sending to it, on a
    fresh SQLite file or PostgreSQL database; both stopped at the end."""
    graph = FakeGraph(answer=answer)
    try:
        url = postgres.database(name.replace("-", "_")) if postgres else None
        host = Host(options, name, graph, max_conversations, url)
        try:
            yield host, graph
        finally:
            host.stop()
    finally:
        graph.stop()


def repetition(options, store, number, postgres):
    """One repetition: bare and ingest on a host whose Graph never answers, then answered."""
    units = {}
    tag = f"{store}-{number}"
    for attempt in (1, 2):
        log(f"{store}, repetition {number}: bare and ingest (replies held back)")
        with host_and_graph(options, f"{tag}-ingest", False, 1, postgres) as (host, graph):
            webhooks = Webhooks(10 + number)
            host.send("/bench/ack", webhooks, options.warmup)
            units["bare"] = measure(host, f"{tag}-bare", lambda: host.send("/bench/ack", webhooks, options.bare))
            host.send("/api/channels/instagram", webhooks, options.warmup)
            held_since = graph.wait_for_first(120)
            time.sleep(options.settle)
            before = graph.counts()
            # The held-back request times out after GRAPH_TIMEOUT_SECONDS; the host then handles
            # the failure and starts on the next message: work that is not ingestion. So the
            # count stops short of that moment (fewer webhooks on a slow machine or store), and
            # a count whose window still reached it is taken again on a fresh host.
            until = held_since + GRAPH_TIMEOUT_SECONDS - 3
            units["ingest"] = measure(host, f"{tag}-ingest",
                                      lambda: host.send("/api/channels/instagram", webhooks, options.ingest, until))
            held = time.monotonic() - held_since
        if graph.counts() == before and held < GRAPH_TIMEOUT_SECONDS - 1:
            break
        log(f"  the held-back Graph request was {held:.0f} s old at the dump (its timeout: {GRAPH_TIMEOUT_SECONDS} s)"
            + ("; counting again on a fresh host" if attempt == 1 else "; the count includes its timeout"))
        units["ingest"]["timeout_in_window"] = True
    log(f"{store}, repetition {number}: answered (the fake Graph API answers at once)")
    with host_and_graph(options, f"{tag}-answered", True, 64, postgres) as (host, graph):
        webhooks = Webhooks(30 + number)
        host.send("/api/channels/instagram", webhooks, options.warmup)
        graph.wait_for(options.warmup, options.warmup, 600)
        time.sleep(options.settle)
        messages, typing = graph.counts()

        def answered():
            host.send("/api/channels/instagram", webhooks, options.answered)
            graph.wait_for(messages + options.answered, typing + options.answered, 900)
            time.sleep(options.settle)  # the host records each delivery after the Graph's answer
            return options.answered
        units["answered"] = measure(host, f"{tag}-answered", answered)
    return units


def spread(values):
    return (max(values) - min(values)) / min(values) * 100 if len(values) > 1 else 0.0


UNITS = [("bare", "no-op request (`POST /bench/ack`)"),
         ("ingest", "accepted webhook, replies held back"),
         ("answered", "answered message (ingest + typing + echo reply)")]


def stage_tables(reps):
    """{unit: {stage: instructions per unit}} over all repetitions' dumps (their sum over the
    sum of their counts), and the answered message's largest own costs (last repetition)."""
    dumps = [(unit, r[unit]["count"], callgrind_stages.read_dump(r[unit]["dump"])) for r in reps for unit, _ in UNITS]
    symbols = set()
    for _, _, d in dumps:
        symbols |= set(d.own) | {callee for _, callee in d.edges}
    names = callgrind_stages.demangle(symbols)
    table = {unit: {stage: 0.0 for stage in callgrind_stages.STAGES} for unit, _ in UNITS}
    counts = {unit: sum(r[unit]["count"] for r in reps) for unit, _ in UNITS}
    for unit, _, d in dumps:
        by_stage, _ = callgrind_stages.attribute(d, names)
        for stage, cost in by_stage.items():
            table[unit][stage] += cost / counts[unit]
    top = callgrind_stages.top_functions(dumps[-1][2], names)
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
            lines.append(f"| {label} | " + " | ".join(f"{r[unit]['per']:,.0f} (÷ {r[unit]['count']})" for r in reps)
                         + f" | {spread(values):.2f} % |")
        values = [r["answered"]["per"] - r["ingest"]["per"] for r in reps]
        lines.append("| of which the pipeline and reply (answered − ingest) | "
                     + " | ".join(f"{v:,.0f}" for v in values) + " | |")
        table = data["stages"]
        lines += ["", f"Per stage ({store}, both repetitions together; runtime and library code booked on its callers):", "",
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
    late = [f"{store} repetition {i + 1}" for store, data in results.items()
            for i, r in enumerate(data["reps"]) if r["ingest"].get("timeout_in_window")]
    if late:
        lines.append("The held-back Graph request timed out within the accepted-webhook count (" + "; ".join(late)
                     + "): that count includes the timeout's handling and the next message's start.")
        lines.append("")
    lines.append(f"valgrind run time: {seconds:.0f} s.")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_bin = os.path.join(os.environ.get("BENCH_BIN", os.path.join(ROOT, ".build", "release")), "sandra")
    parser.add_argument("--bin", default=default_bin, help="the release sandra binary (default: %(default)s)")
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--out", default=None, help="dumps, host logs and the stripped binary (default: a new folder in .build)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--bare", type=int, default=500, help="no-op requests counted (default %(default)s)")
    parser.add_argument("--ingest", type=int, default=300, help="webhooks counted with replies held back (default %(default)s)")
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
