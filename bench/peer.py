#!/usr/bin/env python3
"""Helpers of the Python peer phase of `make bench` (bench/peer.sh); standard library only.

    peer.py bodies  --out P --threads T --count N --senders S --secret X --run R
        signed WhatsApp text webhooks for bench/webhook.lua: file P.<t> per wrk thread, one
        "<X-Hub-Signature-256>\\t<body>" per line, every message id (wamid) distinct, the
        BSUID fields present; prints body_bytes=<mean size>
    peer.py probe   --url U --secret X --verify-token V --name N --run R [--results F]
        checks one webhook route before a run: the GET handshake (right token answered with
        the challenge, a wrong one refused), a signed body accepted with 200, and a forged
        signature and a missing one refused; records the statuses; fails otherwise
    peer.py handled --url U --at-least N [--timeout S]
        waits until the peer's handler has seen N messages and its count stops moving;
        prints handled= and settle_s= (when the count last moved)
    peer.py report  --results F
        the report's subsection for the peer phase (markdown), nothing if it did not run
"""

import argparse
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

# The business account and phone number of JSONBenchBodies.whatsAppEnvelope.
ACCOUNT = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"


def sender(index):
    """A phone number (wa_id) and a business-scoped user id (BSUID) for sender `index`."""
    return f"1650600{index:04d}", f"US.134912086553{index:08d}"


def body(index, senders, run, sequence, timestamp_s):
    """One delivery with one text message, shaped and escaped as Meta sends it (ASCII,
    `\\uXXXX` for the rest: `json.dumps` with `ensure_ascii`)."""
    wa_id, user_id = sender(index % senders)
    wamid = f"wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRB_bench_{run}_{sequence:09d}"
    text = json.dumps(f"bench {sequence} hello from the load test, \u00e7a va? \U0001F44B")
    return (
        f'{{"object":"whatsapp_business_account","entry":[{{"id":"{ACCOUNT}","changes":[{{"value":'
        f'{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"{DISPLAY_NUMBER}",'
        f'"phone_number_id":"{PHONE_NUMBER_ID}"}},"contacts":[{{"profile":{{"name":"Bench Sender {index % senders}",'
        f'"username":"@bench{index % senders}"}},"wa_id":"{wa_id}","user_id":"{user_id}"}}],'
        f'"messages":[{{"from":"{wa_id}","from_user_id":"{user_id}","id":"{wamid}","timestamp":"{timestamp_s}",'
        f'"type":"text","text":{{"body":{text}}}}}]}},"field":"messages"}}]}}]}}'
    ).encode()


def sign(payload, secret):
    """The `X-Hub-Signature-256` value: `sha256=<hex HMAC-SHA256 of the body>`."""
    return "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def bodies(args):
    now = int(time.time())
    total = 0
    for thread in range(args.threads):
        with open(f"{args.out}.{thread}", "wb") as file:
            for sequence in range(thread, args.count, args.threads):
                payload = body(sequence, args.senders, args.run, sequence, now + sequence // args.senders)
                total += len(payload)
                file.write(sign(payload, args.secret).encode() + b"\t" + payload + b"\n")
    print(f"body_bytes={total // args.count if args.count else 0}")


def request(url, data=None, headers=None):
    """(status, body) of one request; an HTTP error status is an answer, not a failure."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def probe(args):
    def handshake(token):
        query = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"})
        return request(f"{args.url}?{query}")

    def post(sequence, signature):
        payload = body(999_999, 1_000_000, args.run + "probe", sequence, int(time.time()))
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature(payload)
        return request(args.url, payload, headers)[0]

    status, answer = handshake(args.verify_token)
    statuses = {
        "handshake_status": status,
        "handshake_wrong_token_status": handshake(args.verify_token + "-wrong")[0],
        "signed_status": post(0, lambda payload: sign(payload, args.secret)),
        "forged_status": post(1, lambda payload: sign(payload, args.secret + "-forged")),
        "unsigned_status": post(2, None),
    }
    problems = []
    if status != 200 or answer.strip() != "1158201444":
        problems.append(f"the handshake answered {status}, not 200 with the challenge")
    if statuses["handshake_wrong_token_status"] < 400:
        problems.append("a wrong verify token was accepted")
    if statuses["signed_status"] != 200:
        problems.append(f"a signed body answered {statuses['signed_status']}, expected 200")
    for case in ("forged", "unsigned"):
        if statuses[f"{case}_status"] < 400:
            problems.append(f"a body with a {case} signature was accepted ({statuses[f'{case}_status']})")
    lines = [f"{args.name}.{key}={value}" for key, value in statuses.items()]
    print(" ".join(lines), file=sys.stderr)
    if args.results:
        with open(args.results, "a") as file:
            file.write("".join(line + "\n" for line in lines))
    if problems:
        sys.exit(f"probe {args.url}: " + "; ".join(problems))


def handled(args):
    """Waits until the handler has seen `at_least` messages and its count has stopped moving
    (wrk does not count the requests still in flight when it stops; the peer may handle them)."""
    start = time.monotonic()
    count, stable_since = -1, start
    while time.monotonic() - start < args.timeout:
        latest = json.loads(request(args.url)[1])["handled"]
        if latest != count:
            count, stable_since = latest, time.monotonic()
        elif count >= args.at_least and time.monotonic() - stable_since >= 0.3:
            break
        time.sleep(0.05)
    print(f"handled={count}")
    print(f"settle_s={stable_since - start:.1f}")


def report(args):
    results = {}
    with open(args.results) as file:
        for line in file:
            key, _, value = line.rstrip("\n").partition("=")
            results[key] = value
    if "peer.run" not in results:
        return

    def num(key):
        try:
            return float(results.get(key, ""))
        except ValueError:
            return 0.0

    def whole(value):
        return f"{round(value):,}"

    def ms(micros):
        return f"{micros / 1000:.1f} ms" if micros >= 10_000 else f"{micros / 1000:.2f} ms"

    def wrk_row(name, cpu_label):
        cpu = f" · {cpu_label} CPU {whole(num(name + '.host_cpu_us'))} µs/req" if name + ".host_cpu_us" in results else ""
        wraps = f" · **bodies reused: {whole(num(name + '.wrapped'))} wraps**" if num(name + ".wrapped") > 0 else ""
        return (f"{whole(num(name + '.rps'))} req/s · p50 {ms(num(name + '.p50_us'))} · p99 {ms(num(name + '.p99_us'))}"
                f" · {whole(num(name + '.errors'))} errors{wraps}{cpu}")

    def refusals(name):
        return (f"handshake {results.get(name + '.handshake_status', '?')} (wrong token {results.get(name + '.handshake_wrong_token_status', '?')}) · "
                f"signed {results.get(name + '.signed_status', '?')} · forged signature {results.get(name + '.forged_status', '?')} · "
                f"no signature {results.get(name + '.unsigned_status', '?')}")

    settings = (f"Load: wrk {results.get('bare.threads', '?')} thread(s), {results.get('bare.connections', '?')} connections "
                f"(phase 1's settings), {results.get('wa_webhook.duration_s', results.get('pywa.duration_s', '?'))} s after 2 s of warm-up, "
                f"the same {results.get('peer.body_bytes', '?')} B signed WhatsApp text webhooks from {whole(num('meta.wrk_senders'))} senders, "
                "a distinct wamid per request, the BSUID fields (`contacts[].user_id`, `from_user_id`) present.")
    lines = ["### Python peer: pywa on FastAPI/uvicorn, same run", ""]
    if "peer.skipped" in results:
        lines += [f"pywa not measured: {results['peer.skipped']}.", ""]
    else:
        lines += [f"{results.get('peer.versions', '?')}; one uvicorn worker, installed from PyPI into a fresh virtualenv by the bench. "
                  "The handler does nothing (it counts the message); pywa answers 200 and parses the update afterwards "
                  "(a FastAPI background task), so the run waits for its handler to have seen every accepted body "
                  "before it reads the CPU time.", ""]
    lines += [settings, "", "| measurement | result |", "|---|---|"]
    if "pywa.rps" in results:
        seen = num("pywa.handled")
        if seen >= num("pywa.expected"):
            handler = f"every accepted message handled ({whole(seen)}), the last {results.get('pywa.settle_s', '?')} s after wrk stopped"
        else:
            handler = f"**the handler saw only {whole(seen)} of the {whole(num('pywa.expected'))} accepted messages**"
        lines.append(f"| pywa `POST /webhook` (`validate_updates=True`: HMAC checked against the app secret) | {wrk_row('pywa', 'uvicorn')}"
                     f" · {handler} |")
    if "wa_webhook.rps" in results:
        lines.append(f"| Sandra `POST /api/channels/whatsapp` (fresh host, SQLite, sandbox off, replies to the fake Graph API as in phase 1) | {wrk_row('wa_webhook', 'host')} |")
    if num("pywa.rps") > 0 and "wa_webhook.rps" in results:
        ratio = num("wa_webhook.rps") / num("pywa.rps")
        cpu = ""
        if num("wa_webhook.host_cpu_us") > 0 and num("pywa.host_cpu_us") > 0:
            cpu = f" · CPU per request: pywa's {num('pywa.host_cpu_us') / num('wa_webhook.host_cpu_us'):.2f}× the host's"
        lines.append(f"| **Sandra's WhatsApp ingestion ÷ pywa's** | **{ratio:.2f}×** ({whole(num('wa_webhook.rps'))} / {whole(num('pywa.rps'))} req/s){cpu} |")
    for name, label in (("pywa_probe", "pywa"), ("wa_probe", "Sandra")):
        if name + ".signed_status" in results:
            lines.append(f"| {label}: probe statuses before the run | {refusals(name)} |")
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("bodies")
    command.add_argument("--out", required=True)
    command.add_argument("--threads", type=int, default=1)
    command.add_argument("--count", type=int, required=True)
    command.add_argument("--senders", type=int, default=1000)
    command.add_argument("--secret", required=True)
    command.add_argument("--run", required=True)
    command = commands.add_parser("probe")
    command.add_argument("--url", required=True)
    command.add_argument("--secret", required=True)
    command.add_argument("--verify-token", required=True)
    command.add_argument("--name", required=True)
    command.add_argument("--run", required=True)
    command.add_argument("--results")
    command = commands.add_parser("handled")
    command.add_argument("--url", required=True)
    command.add_argument("--at-least", type=int, required=True)
    command.add_argument("--timeout", type=float, default=30)
    command = commands.add_parser("report")
    command.add_argument("--results", required=True)
    args = parser.parse_args()
    {"bodies": bodies, "probe": probe, "handled": handled, "report": report}[args.command](args)


if __name__ == "__main__":
    main()
