#!/usr/bin/python3
"""HTTP soak of `parley serve` (issue 12): N requests over loopback, RSS over time.

    bench/http_soak.py [--build build] [--requests 20000] [--clients 4] [--sample-every 250]
                       [--warmup 2000] [--llm models/llm/parley-chat.gguf] [--asr models/asr]
                       [--voice espeak:en-us]

Starts `parley serve` on a free loopback port with the default models, then `--clients`
threads (one kept-alive connection each, reopened after the server closes it) send a fixed
mix of requests, the same every run:

    35 %  GET /health             5 %  GET /metrics          5 %  GET / (kiosk page)
    15 %  GET /v1/models         20 %  POST /v1/chat/completions (8 tokens, greedy)
     5 %  chat, stream: true      5 %  POST /v1/audio/speech (espeak, one short sentence)
     5 %  POST /v1/audio/transcriptions (multipart WAV, 1.3 s of espeak speech)
     5 %  bad requests: broken JSON (expects 400), unknown route (expects 404)

Every answer is checked against the status its kind expects; 429 and 503 (the documented
overload answers, with Retry-After) are counted apart, anything else — another status, a
dropped connection, a malformed body — is a failure. The server's VmRSS (/proc) is sampled every
`--sample-every` answers. Prints the series and one JSON summary line; exits 1 when a request
failed or RSS grew by 2 MB or more after the warm-up (the issue's bar), measured on the floor
of the samples (lowest of the last quarter minus lowest of the first quarter: single samples
scatter with the requests in flight); the least-squares trend is printed too.
"""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from rss_growth import proc_status_kib, rss_growth_kib  # bench/rss_growth.py

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_wav(path):
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", path, "turn on the kitchen light"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(path, "rb") as f:
        return f.read()


def multipart(fields, file_name, file_bytes):
    boundary = uuid.uuid4().hex
    body = b""
    for k, v in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
             "Content-Type: audio/wav\r\n\r\n").encode() + file_bytes + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def request_for(i, wav):
    """(kind, method, path, body, headers, expected status) of request number i."""
    k = i % 20
    js = {"Content-Type": "application/json"}
    if k < 7:
        return "health", "GET", "/health", None, {}, 200
    if k < 10:
        return "models", "GET", "/v1/models", None, {}, 200
    if k == 10:
        return "metrics", "GET", "/metrics", None, {}, 200
    if k == 11:
        return "kiosk", "GET", "/", None, {}, 200
    if k < 16:
        body = {"messages": [{"role": "user", "content": f"What is {i % 97} plus {i % 13}?"}],
                "max_tokens": 8, "temperature": 0}
        return "chat", "POST", "/v1/chat/completions", json.dumps(body).encode(), js, 200
    if k == 16:
        body = {"messages": [{"role": "user", "content": f"Tell me about item {i % 50}."}],
                "max_tokens": 8, "temperature": 0, "stream": True}
        return "chat_stream", "POST", "/v1/chat/completions", json.dumps(body).encode(), js, 200
    if k == 17:
        body = {"model": "tts-1", "input": f"Timer number {i % 10} is done.", "voice": "espeak:en-us",
                "response_format": "wav"}
        return "speech", "POST", "/v1/audio/speech", json.dumps(body).encode(), js, 200
    if k == 18:
        body, ctype = multipart({"model": "whisper-1", "response_format": "json"}, "q.wav", wav)
        return "transcription", "POST", "/v1/audio/transcriptions", body, {"Content-Type": ctype}, 200
    if (i // 20) % 2 == 0:
        return "bad_json", "POST", "/v1/chat/completions", b'{"messages": [', js, 400
    return "unknown_route", "GET", f"/v1/nothing/{i}", None, {}, 404


def check_body(kind, data):
    if kind in ("health", "models", "chat", "transcription"):
        obj = json.loads(data)
        if kind == "chat" and obj["choices"][0]["message"].get("content") is None:
            raise ValueError("chat answer without content")
        if kind == "transcription" and "text" not in obj:
            raise ValueError("transcription without text")
    elif kind == "chat_stream":
        if not data.rstrip().endswith(b"data: [DONE]"):
            raise ValueError("stream did not end with [DONE]")
    elif kind == "speech":
        if data[:4] != b"RIFF" or len(data) < 1000:
            raise ValueError("speech is not a WAV")
    elif kind == "bad_json":
        if "error" not in json.loads(data):
            raise ValueError("400 without an error object")


class Attached:
    """A server this script did not start: sampled, never stopped."""
    def __init__(self, pid):
        self.pid = pid
        self.returncode = None

    def poll(self):
        return None if os.path.exists(f"/proc/{self.pid}") else 0

    def terminate(self):
        pass

    def wait(self, timeout=None):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--sample-every", type=int, default=250)
    ap.add_argument("--warmup", type=int, default=2000)
    ap.add_argument("--llm", default=os.path.join(ROOT, "models/llm/parley-chat.gguf"))
    ap.add_argument("--asr", default=os.path.join(ROOT, "models/asr"))
    ap.add_argument("--voice", default="espeak:en-us")
    ap.add_argument("--only", help="send only the requests of this kind among the first "
                                   "--requests of the mix (health, models, chat, speech, ...): "
                                   "to find which request a growth comes from")
    ap.add_argument("--attach", metavar="PORT:PID",
                    help="soak a `parley serve` that is already running (e.g. under heaptrack) "
                         "on 127.0.0.1:PORT, sampling the RSS of PID")
    args = ap.parse_args()

    parley = os.path.join(args.build, "assistant", "parley")
    tmp = tempfile.mkdtemp(prefix="parley-soak-")
    wav = make_wav(os.path.join(tmp, "q.wav"))
    log = open(os.path.join(tmp, "serve.log"), "w")
    if args.attach:
        port, pid = (int(x) for x in args.attach.split(":"))
        server = Attached(pid)
    else:
        port = free_port()
        server = subprocess.Popen([parley, "serve", "--llm", args.llm, "--asr", args.asr, "--voice",
                                   args.voice, "--host", "127.0.0.1", "--port", str(port)],
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/ready")
                ready = c.getresponse().status == 200
                c.close()
                if ready:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.time() > deadline:
                sys.exit(f"http_soak: parley serve did not become ready (log: {log.name})")
            time.sleep(0.2)

        lock = threading.Lock()
        state = {"next": 0, "done": 0, "failed": 0, "overload": 0, "by_kind": {}, "errors": []}
        samples = []
        t0 = time.time()

        def take():
            with lock:
                i = state["next"]
                if i >= args.requests:
                    return None
                state["next"] += 1
                return i

        def finish(kind, ok, overload, error=None):
            with lock:
                state["done"] += 1
                s = state["by_kind"].setdefault(kind, {"ok": 0, "failed": 0, "overload": 0})
                if overload:
                    state["overload"] += 1
                    s["overload"] += 1
                elif ok:
                    s["ok"] += 1
                else:
                    state["failed"] += 1
                    s["failed"] += 1
                    if len(state["errors"]) < 10:
                        state["errors"].append(error)
                if state["done"] % args.sample_every == 0:
                    m = proc_status_kib(server.pid, "VmRSS", "Threads")
                    samples.append({"requests": state["done"], "seconds": round(time.time() - t0, 1),
                                    "rss_kib": m["VmRSS"], "threads": m["Threads"]})
                    print(f"  {state['done']:6d} requests  {samples[-1]['seconds']:7.1f} s  "
                          f"RSS {m['VmRSS'] / 1024:7.1f} MiB  threads {m['Threads']}", flush=True)

        def client():
            conn = None
            while (i := take()) is not None:
                kind, method, path, body, headers, expected = request_for(i, wav)
                if args.only and kind != args.only:
                    continue  # not sent, not counted
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    conn.request(method, path, body=body, headers=headers)
                    r = conn.getresponse()
                    data = r.read()
                    if r.getheader("Connection", "").lower() == "close":
                        conn.close()
                        conn = None
                    if r.status in (429, 503) and r.getheader("Retry-After"):
                        finish(kind, False, True)
                        continue
                    if r.status != expected:
                        raise ValueError(f"status {r.status}, expected {expected}: {data[:200]!r}")
                    check_body(kind, data)
                    finish(kind, True, False)
                except Exception as e:  # noqa: BLE001 — every failure is counted and shown
                    finish(kind, False, False, f"#{i} {kind}: {type(e).__name__}: {e}")
                    if conn is not None:
                        conn.close()
                    conn = None
            if conn is not None:
                conn.close()

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - t0
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    after = [s for s in samples if s["requests"] >= args.warmup]
    floor_growth_kib, trend_growth_kib = rss_growth_kib(after, "requests")
    peak_after = max((s["rss_kib"] for s in after), default=None)
    summary = {
        "bench": "http_soak", "requests": state["done"], "clients": args.clients,
        "seconds": round(elapsed, 1), "requests_per_s": round(state["done"] / elapsed, 1),
        "failed": state["failed"], "overload_answers": state["overload"],
        "rss_start_kib": samples[0]["rss_kib"] if samples else None,
        "rss_after_warmup_kib": after[0]["rss_kib"] if after else None,
        "rss_end_kib": samples[-1]["rss_kib"] if samples else None,
        "rss_peak_after_warmup_kib": peak_after,
        "rss_floor_growth_after_warmup_kib": floor_growth_kib,
        "rss_trend_growth_after_warmup_kib": trend_growth_kib, "by_kind": state["by_kind"],
        "server_exit": server.returncode, "errors": state["errors"],
    }
    print(json.dumps(summary))
    ok = state["failed"] == 0 and floor_growth_kib is not None and floor_growth_kib < 2048
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
