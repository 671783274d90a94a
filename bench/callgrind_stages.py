"""Per-stage instruction counts from a callgrind dump (used by bench/instructions.py).

A dump is read by `read_dump` (not by callgrind_annotate: 3.19 books the cost after a
`calls=0` line, a call entered before `callgrind_control -z`, as the caller's own cost).
Each function gets a stage from its demangled name (`stage_of`): the first rule of
`SYMBOL_RULES` that matches the name without its generic arguments and parameter lists,
else the stage of the first project or package module the name mentions (`MODULE_STAGES`),
else the stage of the object file it lives in (`OBJECT_STAGES`: SQLite is compiled into
the binary, cmark-gfm comes from its shared library). A function that none of these places
(the Swift runtime and standard library, libc, Foundation, libdispatch: retain/release,
malloc/free, memcpy, Array and String code, task switches) is booked on its callers: its
own instructions are shared among the functions that called it, in proportion to what
each call cost, and a caller that is itself unplaced passes its share on to its own callers
(`attribute`). What reaches no placed caller (a thread's entry, the executor's job loop) is
booked as "Swift runtime (unattributed)".
"""
import re
import subprocess

# The stages, in the order the tables list them.
STAGES = [
    "HTTP server", "HMAC", "JSON", "store", "dispatch", "assistant client",
    "render and split", "Graph client", "logging and metrics",
    "Swift runtime (unattributed)", "other",
]

UNATTRIBUTED = "Swift runtime (unattributed)"

# (pattern, stage): checked in this order against the simplified demangled name; the first
# match wins. These split modules that hold more than one stage.
SYMBOL_RULES = [
    (r"^sqlite3|^sqlite_nio_|^unix[A-Z]|^pcache|^btree|^vdbe|^pager", "store"),
    (r"^cmark", "render and split"),
    (r"\bMetaSignature\b|\bMetaSignedRequest\b|\bAppSecretProof\b|\bWebhookVerifier\b|\bHex\b", "HMAC"),
    (r"\bMetaJSON|\bMessagingWebhookParser\b|\bWebhookParser\b|\bMetaWebhookEnvelope\b|\bUnreadableItem\b|"
     r"\bJSONDecoder\b|\bJSONSerialization\b|\bJSONEncoder\b", "JSON"),
    (r"\bChannelHost\.(AsyncHTTPTransport|TransportFailureDescription|HTTPClientService)\b|"
     r"\bNIOSSL\.TLSConfiguration\b", "Graph client"),
    (r"\bChannelHost\.(\w*LogHandler|\w*Metrics\w*|InboxGauge\w*|HostObserver|WebhookRefusals|ProcessThreads)\b",
     "logging and metrics"),
    (r"\bChannelHost\.(ClientConnectionCounter|ConnectionCapHandler|ConnectionDeadlineHandler|ConnectionLimits|"
     r"GuardedHTTP\w*|RequestProgressHandler|RequestLogMiddleware|WebhookRoutes|WebhookAcks|JSONResponse|ErrorBody|"
     r"HostAllowlist\w*|HostRequestContext|SameOriginPolicy|BrowserHeaders|HealthRoutes|ServerService)\b|"
     r"\bHummingbirdCore\.Request\b", "HTTP server"),
    (r"\bChannelHost\.(ChannelStatusBoard|ChannelSupervisor|PipelineService)\b|\bChannelMedia\.", "dispatch"),
    (r"\bChannelHost\.(HostStore|StoreFactory)\b", "store"),
    (r"\bStoredJSON\b|\bStoredValues\b|\bInboxQueries\b|\bOpenInboxItem\b", "store"),
    (r"\bGraphAPIClient\b|\bMessagingSendAPI\b|\bMessagingEndpoint\b|\bHTTPTransport\b|\bAsyncHTTPClientTransport\b|"
     r"\bHTTPRequestEncoder\b|\bHTTPResponseDecoder\b|\bPartSender\b|"
     r"\b(InstagramChannel|MessengerChannel|WhatsAppChannel|MessagingPlatformChannel)\.(send|deliver)", "Graph client"),
    (r"\bAssistant\b|\bAssistantCall\b|\bAssistantOutage\b|\bEchoAssistant\b|\bOpenAIAssistant\b", "assistant client"),
    (r"\bReplyComposer\b|\bRenderedText\b|\bTextSplitter\b|\bSplitEngine\b|\bMarkdown", "render and split"),
    (r"\bPipelineMetrics\b|\bMetrics\b|\bLogger\b|\bLogHandler\b|\bRequestLog", "logging and metrics"),
]

# The module a name mentions → its stage. Modules of the Swift toolchain (Swift,
# _Concurrency, Foundation, Dispatch, ...) are deliberately absent: their functions are
# booked on their callers.
MODULE_STAGES = {
        "Hummingbird": "HTTP server", "HummingbirdCore": "HTTP server", "HummingbirdRouter": "HTTP server",
    "HTTPTypes": "HTTP server", "NIOExtras": "HTTP server",
    "SQLiteNIO": "store", "CSQLite": "store", "SQLiteStorage": "store", "StoreSupport": "store",
    "PostgresNIO": "store", "_ConnectionPoolModule": "store", "PostgreSQLStorage": "store",
    "ChannelPipeline": "dispatch", "ChannelKit": "dispatch", "ChannelConcurrency": "dispatch",
    "ChannelRendering": "render and split", "CCmarkGFM": "render and split",
    "AsyncHTTPClient": "Graph client", "MetaPlatform": "Graph client", "InstagramChannel": "Graph client",
    "WhatsAppChannel": "Graph client", "MessengerChannel": "Graph client",
    "Logging": "logging and metrics", "CoreMetrics": "logging and metrics", "Metrics": "logging and metrics",
    "Prometheus": "logging and metrics",
    "ChannelHost": "other", "ServiceLifecycle": "other", "UnixSignals": "other", "Yams": "other",
    "ArgumentParser": "other", "Mustache": "other", "Configuration": "other", "ChannelIdentity": "other",
    "ChannelMedia": "other", "Sandbox": "other", "NIOSSL": "other",
}

# SwiftNIO's event loops, channels, buffers and HTTP/1 codec serve both the host's server and
# its Graph API client (AsyncHTTPClient): their functions are booked on their callers like the
# runtime's, so what the client's code asks of them counts as Graph client; what only the
# event loop itself reaches (socket reads and writes, the loop) counts as HTTP server.
SHARED_TRANSPORT = re.compile(r"\b(NIOCore|NIOPosix|NIOHTTP1|NIOHTTPTypes|NIOHTTPTypesHTTP1|NIOConcurrencyHelpers|"
                              r"_NIODataStructures|_NIOBase64|NIOEmbedded)\.|^c_nio_|^CNIO")

# swift-crypto (and BoringSSL in it) serves the webhook signature and PostgreSQL's SCRAM
# login alike: booked on its callers; what no placed caller reached counts as HMAC.
CRYPTO = re.compile(r"\b(Crypto|_CryptoExtras|CryptoBoringWrapper|CCryptoBoringSSL)\.|^_?CCryptoBoringSSL|^CRYPTO_")

# Object files (the `ob=` of the dump) whose unnamed or C functions have a stage of their own.
OBJECT_STAGES = [(r"libcmark", "render and split"), (r"libsqlite", "store"), (r"libcrypto", "HMAC")]

_GENERIC = re.compile(r"<[^<>]*>")
_PARENS = re.compile(r"\((?:[^()]|\([^()]*\))*\)")
_C_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.(constprop|isra|part|cold)\.\d+)*$")
_MODULE = re.compile(r"(?<![\w.])([A-Za-z_][A-Za-z0-9_]*)\.")


def simplify(name):
    """The demangled name without generic arguments and parameter lists (which name the types
    a generic is specialized for, not the code that runs)."""
    s = re.sub(r"\(extension in (\w+)\):", r"\1.", name)
    for _ in range(4):
        s = _GENERIC.sub("", s)
    for _ in range(3):
        s = _PARENS.sub("()", s)
    return s


def stage_of(name, obj="", binary=None):
    """The stage of a function by its demangled name and object file, or None when it is
    runtime or library code booked on its callers. A C function of the host's own binary
    (`binary`) that no rule names is SQLite's: the amalgamation is linked in, and its
    static functions (walChecksumBytes, balance_nonroot, ...) carry no common prefix."""
    s = simplify(re.sub(r"'\d+$", "", name))
    # "protocol witness for Swift.X in conformance Module.Type": the conformance's module counts.
    m = re.search(r" in conformance (.*)$", s)
    if m:
        s = m.group(1) + " " + s
    for pattern, stage in _RULES:
        if pattern.search(s):
            return stage
    if SHARED_TRANSPORT.search(s) or CRYPTO.search(s):
        return None
    for module in _MODULE.findall(s):
        if module in MODULE_STAGES:
            return MODULE_STAGES[module]
    for pattern, stage in OBJECT_STAGES:
        if re.search(pattern, obj):
            return stage
    if binary and obj == binary and _C_NAME.match(s) and not re.match(r"_?swift|__|CNIO|c_nio_", s):
        return "store"
    return None


_RULES = [(re.compile(p), st) for p, st in SYMBOL_RULES]


def fallback_of(name):
    """Where runtime or library code that no placed function called goes: swift-crypto's to
    HMAC; SwiftNIO's to the channels it serves (see `attribute`), else the HTTP server; the
    rest is the Swift runtime's own (task switches, the executor's job loop, thread starts)."""
    s = simplify(name)
    if CRYPTO.search(s):
        return "HMAC"
    return "HTTP server" if SHARED_TRANSPORT.search(s) else UNATTRIBUTED


class Dump:
    """One callgrind dump: own cost per function, cost of each caller → callee edge (inclusive
    cost of the calls), the object each function lives in, and the dump's total."""

    def __init__(self):
        self.own = {}
        self.edges = {}
        self.objects = {}
        self.total = 0
        self.binary = None


def read_dump(path):
    """Parses a callgrind output file (format version 1, name compression, one event: Ir)."""
    dump = Dump()
    names = {"fn": {}, "ob": {}}
    fn = cfn = None
    ob = ""
    in_call = False

    def name(kind, value):
        m = re.match(r"\((\d+)\)(?:\s+(.*))?$", value.strip())
        if not m:
            return value.strip()
        if m.group(2) is not None:
            names[kind][m.group(1)] = m.group(2)
        return names[kind].get(m.group(1), "?" + m.group(1))

    with open(path, errors="replace") as f:
        for line in f:
            first = line[:1]
            if first.isdigit() or first in "+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if in_call:
                    if cfn != fn:
                        dump.edges[(fn, cfn)] = dump.edges.get((fn, cfn), 0) + cost
                    in_call = False
                else:
                    dump.own[fn] = dump.own.get(fn, 0) + cost
            elif line.startswith("fn="):
                fn = name("fn", line[3:])
                dump.objects.setdefault(fn, ob)
            elif line.startswith("cfn="):
                cfn = name("fn", line[4:])
            elif line.startswith("ob="):
                ob = name("ob", line[3:])
            elif line.startswith("cob="):
                name("ob", line[4:])
            elif line.startswith("calls="):
                in_call = True
            elif line.startswith("cmd:"):
                dump.binary = line[4:].split()[0] if line[4:].split() else None
            elif line.startswith("totals:") or (line.startswith("summary:") and not dump.total):
                dump.total = int(line.split()[1])
    return dump


def demangle(symbols):
    """Swift symbols demangled with `swift demangle` (module names kept); others as they are."""
    symbols = list(symbols)
    if not symbols:
        return {}
    for tool in (["swift", "demangle", "--compact"], ["swift-demangle", "--compact"]):
        try:
            out = subprocess.run(tool, input="\n".join(symbols) + "\n", capture_output=True, text=True,
                                 timeout=300).stdout.split("\n")
        except (OSError, subprocess.TimeoutExpired):
            continue
        if len(out) >= len(symbols):
            return dict(zip(symbols, out[:len(symbols)]))
    return {s: s for s in symbols}


def attribute(dump, demangled):
    """Instructions per stage: each function's own cost goes to its stage, or (runtime and
    library code) to its callers' stages in proportion to the calls' costs."""
    callers, callees = {}, {}
    for (caller, callee), cost in dump.edges.items():
        callers.setdefault(callee, []).append((caller, cost))
        callees.setdefault(caller, []).append((callee, cost))
    own_stage = {fn: stage_of(demangled.get(fn, fn), dump.objects.get(fn, ""), dump.binary)
                 for fn in set(dump.own) | set(callers)}
    shares, below = {}, {}

    def served(fn, visiting):
        """{stage: fraction} of the placed code fn's calls lead to (SwiftNIO's event loop and
        channels: a socket read serves the handlers that read the bytes, whichever stage)."""
        if fn in below:
            return below[fn]
        visiting.add(fn)
        mix = {}
        for callee, cost in callees.get(fn, []):
            if callee in visiting or cost <= 0:
                continue
            parts = {own_stage[callee]: 1.0} if own_stage.get(callee) else served(callee, visiting)
            for stage, part in parts.items():
                mix[stage] = mix.get(stage, 0.0) + part * cost
        visiting.discard(fn)
        total = sum(mix.values())
        below[fn] = {k: v / total for k, v in mix.items()} if total else {}
        return below[fn]

    def fallback_mix(fn):
        fallback = fallback_of(demangled.get(fn, fn))
        if fallback == "HTTP server":
            return served(fn, set()) or {fallback: 1.0}
        return {fallback: 1.0}

    def share_of(fn, visiting):
        """{stage: fraction} for the cost of fn."""
        if own_stage.get(fn):
            return {own_stage[fn]: 1.0}
        if fn in shares:
            return shares[fn]
        visiting.add(fn)
        mix, weight = {}, 0
        for caller, cost in callers.get(fn, []):
            if caller in visiting or cost <= 0:
                continue
            for stage, part in share_of(caller, visiting).items():
                mix[stage] = mix.get(stage, 0.0) + part * cost
            weight += cost
        visiting.discard(fn)
        # What the callers leave unplaced (a job run by the executor) stays with this function's
        # own fallback: SwiftNIO's async code run as a task is still the HTTP server's.
        fallback = fallback_mix(fn)
        result = dict(fallback)
        if weight:
            result = {}
            for stage, v in mix.items():
                for to, part in (fallback.items() if stage == UNATTRIBUTED else [(stage, 1.0)]):
                    result[to] = result.get(to, 0.0) + part * v / weight
        shares[fn] = result
        return result

    by_stage = {s: 0.0 for s in STAGES}
    own_by_stage = {s: 0 for s in STAGES}
    for fn, cost in dump.own.items():
        if own_stage.get(fn):
            own_by_stage[own_stage[fn]] += cost
        for stage, part in share_of(fn, set()).items():
            by_stage[stage] = by_stage.get(stage, 0.0) + part * cost
    return by_stage, own_by_stage


def top_functions(dump, demangled, count=12):
    """The functions with the largest own cost: (cost, stage or None, simplified name)."""
    rows = []
    for fn, cost in sorted(dump.own.items(), key=lambda kv: -kv[1])[:count]:
        name = demangled.get(fn, fn)
        rows.append((cost, stage_of(name, dump.objects.get(fn, ""), dump.binary), simplify(name)[:100]))
    return rows
