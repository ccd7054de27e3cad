#!/usr/bin/env python3
"""Control the WeChat API emulator from tests and scripts.

    emuctl.py start --port-file F [--latency-ms N] [--tls-dir D]
                                                      start in the background, print the port;
                                                      with --tls-dir also HTTPS, its port in F.tls
    emuctl.py stop --port-file F                      stop the one started with that port file
    emuctl.py reset [--tokens] | stats | count [PATH_SUBSTRING] | outcomes CODE [PATH_SUBSTRING]
    emuctl.py config key=value ...
    emuctl.py fault PATH_SUBSTRING KIND [times=N] [errcode=N] [errmsg=TEXT|echo] [pad=N] [status=N]
                    [seconds=S] [match=BODY_SUBSTRING] [body=TEXT] [content_type=T] [depth=N] [location=URL]
    emuctl.py faults < FILE                           one fault a line, as JSON: {"path":…,"kind":…,…}
    emuctl.py revoke [APPID]
    emuctl.py credentials                             the apps' secrets and every token issued, one a line
    emuctl.py served PATH_SUBSTRING                   COPY-text lines: body<TAB>request
    emuctl.py expect-token APPID

The port comes from --port, else $WXA_EMULATOR_PORT, else --port-file / $WXA_EMULATOR_PORT_FILE.
Every command prints to stdout and exits non-zero on failure.
"""

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR = os.path.join(HERE, "wechat_emulator.py")


class Failure(Exception):
    pass


# ------------------------------------------------------------------------------------------
# Talking to a running emulator
# ------------------------------------------------------------------------------------------

def resolve_port(args):
    if args.port:
        return args.port
    if os.environ.get("WXA_EMULATOR_PORT"):
        return int(os.environ["WXA_EMULATOR_PORT"])
    port_file = args.port_file or os.environ.get("WXA_EMULATOR_PORT_FILE")
    if port_file:
        try:
            with open(port_file) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            raise Failure(f"no emulator port in {port_file}") from None
    raise Failure("no port: set WXA_EMULATOR_PORT or pass --port / --port-file")


def call(args, method, path, body=None, query=None):
    """One control request; returns the decoded JSON answer."""
    if query:
        path += "?" + urllib.parse.urlencode(query)
    conn = http.client.HTTPConnection(args.host, resolve_port(args), timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=payload, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = json.loads(resp.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise Failure(f"emulator not reachable on {args.host}: {exc}") from None
    finally:
        conn.close()
    if resp.status != 200:
        raise Failure(data.get("error", f"HTTP {resp.status}"))
    return data


def parse_value(text):
    """key=value values: JSON when it parses (numbers, true, null), else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_pairs(pairs):
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise Failure(f"expected key=value, got {pair!r}")
        out[key] = parse_value(value)
    return out


def copy_text(s):
    """Escape for PostgreSQL COPY text format: backslashes doubled, no raw tab/newline/CR."""
    return (s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


# ------------------------------------------------------------------------------------------
# Subcommands
# ------------------------------------------------------------------------------------------

def cmd_reset(args, out):
    call(args, "POST", "/__emu/reset", {"tokens": args.tokens})
    out("ok")


def cmd_stats(args, out):
    out(json.dumps(call(args, "GET", "/__emu/stats"), ensure_ascii=False, indent=2, sort_keys=True))


def cmd_count(args, out):
    requests = call(args, "GET", "/__emu/stats")["requests"]
    out(str(sum(n for path, n in requests.items() if (args.substring or "") in path)))


def cmd_outcomes(args, out):
    """Responses that ended with this errcode, HTTP status or fault name."""
    outcomes = call(args, "GET", "/__emu/stats")["outcomes"]
    out(str(sum(n for key, n in outcomes.items()
                if key.rsplit(" ", 1)[-1] == args.outcome and (args.substring or "") in key)))


def cmd_config(args, out):
    answer = call(args, "POST", "/__emu/config", parse_pairs(args.pairs))
    out(json.dumps(answer["config"], sort_keys=True))


def cmd_fault(args, out):
    spec = {"path": args.substring, "kind": args.kind}
    spec.update(parse_pairs(args.options))
    out(json.dumps(call(args, "POST", "/__emu/fault", spec)["fault"], sort_keys=True))


def cmd_faults(args, out):
    """Faults as JSON objects, one a line, from stdin (e.g. psql's \\copy ... TO PROGRAM)."""
    n = 0
    for line in sys.stdin.buffer.read().decode("utf-8").splitlines():
        if line.strip():
            try:
                spec = json.loads(line)
            except ValueError as exc:
                raise Failure(f"line {n + 1}: not JSON: {exc}") from None
            call(args, "POST", "/__emu/fault", spec)
            n += 1
    out(f"{n} faults")


def cmd_revoke(args, out):
    out(str(call(args, "POST", "/__emu/revoke", {"appid": args.appid})["revoked"]))


def cmd_served(args, out):
    for entry in call(args, "GET", "/__emu/served", query={"path": args.substring})["served"]:
        out(copy_text(entry["body"]) + "\t" + copy_text(entry["request"]))


def cmd_credentials(args, out):
    for credential in call(args, "GET", "/__emu/credentials")["credentials"]:
        out(credential)


def cmd_expect_token(args, out):
    token = call(args, "GET", "/__emu/token", query={"appid": args.appid})["access_token"]
    if not token:
        raise Failure(f"no valid stable token for {args.appid}")
    out(token)


# ------------------------------------------------------------------------------------------
# start / stop
# ------------------------------------------------------------------------------------------

def _pid_file(port_file):
    return port_file + ".pid"


def _read_pid(port_file):
    try:
        with open(_pid_file(port_file)) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _is_our_emulator(pid):
    """True when pid is alive and runs wechat_emulator.py (a recycled pid is left alone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"wechat_emulator.py" in f.read()
    except OSError:
        return False


def cmd_start(args, out):
    port_file = os.path.abspath(args.port_file)
    pid = _read_pid(port_file)
    if pid and _is_our_emulator(pid):
        raise Failure(f"an emulator is already running for {port_file} (pid {pid}); stop it first")
    for stale in (port_file, _pid_file(port_file), port_file + ".tls"):
        if os.path.exists(stale):
            os.unlink(stale)
    command = [sys.executable, EMULATOR, "--host", args.host, "--port", str(args.listen_port),
               "--port-file", port_file, "--latency-ms", str(args.latency_ms)]
    if args.tls_dir:
        command += ["--tls-dir", os.path.abspath(args.tls_dir), "--tls-port-file", port_file + ".tls"]
    if args.verbose:
        command.append("--verbose")
    with open(port_file + ".log", "ab") as log, open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(command, stdin=devnull, stdout=log, stderr=log,
                                start_new_session=True, close_fds=True)
    with open(_pid_file(port_file), "w") as f:
        f.write(f"{proc.pid}\n")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if os.path.exists(port_file):
            with open(port_file) as f:
                out(f.read().strip())
            return
        if proc.poll() is not None:
            raise Failure(f"the emulator exited with status {proc.returncode}; see {port_file}.log")
        time.sleep(0.05)
    proc.terminate()
    raise Failure(f"the emulator did not start within 10 s; see {port_file}.log")


def cmd_stop(args, out):
    port_file = os.path.abspath(args.port_file)
    pid = _read_pid(port_file)
    if pid and _is_our_emulator(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while _is_our_emulator(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _is_our_emulator(pid):
            os.kill(pid, signal.SIGKILL)
        out(f"stopped {pid}")
    else:
        out("not running")
    for path in (port_file, _pid_file(port_file), port_file + ".tls"):
        if os.path.exists(path):
            os.unlink(path)


# ------------------------------------------------------------------------------------------

def build_parser():
    parser = argparse.ArgumentParser(prog="emuctl.py", description="Control the WeChat API emulator.")
    parser.add_argument("--host", default=os.environ.get("WXA_EMULATOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, help="default: $WXA_EMULATOR_PORT")
    parser.add_argument("--port-file", help="read the port from this file")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("start", help="start the emulator in the background, print its port")
    p.add_argument("--port-file", required=True)
    p.add_argument("--latency-ms", type=int, default=0)
    p.add_argument("--listen-port", type=int, default=0, help="default: any free port")
    p.add_argument("--tls-dir", help="also serve HTTPS on a second port (written to PORT_FILE.tls) "
                   "with the certificates test/make-test-ca made in this directory")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("stop", help="stop the emulator started with --port-file")
    p.add_argument("--port-file", required=True)
    p.set_defaults(func=cmd_stop)

    p = sub.add_parser("reset", help="forget counters, faults, journal, config (and tokens with --tokens)")
    p.add_argument("--tokens", action="store_true", help="also forget every issued token")
    p.set_defaults(func=cmd_reset)
    p = sub.add_parser("outcomes", help="responses that ended with OUTCOME (errcode, status or fault)")
    p.add_argument("outcome")
    p.add_argument("substring", nargs="?", help="only paths containing this")
    p.set_defaults(func=cmd_outcomes)
    sub.add_parser("stats", help="print the stats JSON").set_defaults(func=cmd_stats)

    p = sub.add_parser("count", help="requests whose path contains SUBSTRING (all if omitted)")
    p.add_argument("substring", nargs="?")
    p.set_defaults(func=cmd_count)

    p = sub.add_parser("config", help="latency_ms=N token_ttl=S old_token_grace=S code_quota=N "
                       "tls_certificate=server|otherhost|untrusted ...")
    p.add_argument("pairs", nargs="+")
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("fault", help="inject a fault for the next matching requests")
    p.add_argument("substring")
    p.add_argument("kind")
    p.add_argument("options", nargs="*",
                   help="times=N errcode=N errmsg=TEXT|echo pad=N status=N seconds=S match=BODY_SUBSTRING "
                        "body=TEXT content_type=T depth=N location=URL")
    p.set_defaults(func=cmd_fault)

    sub.add_parser("faults", help="inject faults read from stdin, one JSON object a line"
                   ).set_defaults(func=cmd_faults)

    p = sub.add_parser("revoke", help="invalidate the tokens of APPID (default: all apps)")
    p.add_argument("appid", nargs="?")
    p.set_defaults(func=cmd_revoke)

    p = sub.add_parser("served", help="journal of successful responses, COPY text format")
    p.add_argument("substring")
    p.set_defaults(func=cmd_served)

    sub.add_parser("credentials", help="the apps' secrets and every token issued since start, one a line"
                   ).set_defaults(func=cmd_credentials)

    p = sub.add_parser("expect-token", help="print the current stable token of APPID")
    p.add_argument("appid")
    p.set_defaults(func=cmd_expect_token)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    # UTF-8 whatever the locale: psql's \copy ... from program reads bytes.
    def out(line):
        sys.stdout.buffer.write(line.encode("utf-8", "surrogateescape") + b"\n")
    try:
        args.func(args, out)
    except Failure as exc:
        print(f"emuctl: {exc}", file=sys.stderr)
        return 1
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
