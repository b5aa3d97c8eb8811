#!/usr/bin/python3
"""Builds the fuzz seed corpora from files already in the repository and ../shared/testdata.

    tests/fuzz/make_seeds.py OUT_DIR            # OUT_DIR/<target>/<seed files>

Nothing here is committed as binary: GGUF and safetensors seeds are written by the small writers
below, text seeds are taken from our tests, ONNX seeds are our test models and a sample of the
ONNX node tests (libonnx-testdata). The audio seeds (WAV/FLAC/Ogg Opus files and Opus packets)
come from our own writers through the fuzz_make_audio_seeds tool that scripts/fuzz.sh builds.
"""
import glob
import hashlib
import json
import os
import re
import struct
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "testdata"))
SEP = b"\xff"  # field separator of the multi-field targets (fuzz_target.h take_field)


def put(out, target, data, name=None):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ---- GGUF ---------------------------------------------------------------------------------

def gguf_str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def gguf_value(t, v):
    fmt = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
           11: "<q", 12: "<d"}
    if t in fmt:
        return struct.pack(fmt[t], v)
    if t == 8:
        return gguf_str(v)
    et, items = v  # array
    return struct.pack("<IQ", et, len(items)) + b"".join(gguf_value(et, x) for x in items)


def gguf(kvs, tensors, version=3, alignment=32):
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    for key, t, v in kvs:
        out += gguf_str(key) + struct.pack("<I", t) + gguf_value(t, v)
    data = b""
    infos = b""
    for name, ggml_type, ne, payload in tensors:
        while len(data) % alignment:
            data += b"\0"
        infos += gguf_str(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
        infos += struct.pack("<IQ", ggml_type, len(data))
        data += payload
    out += infos
    while len(out) % alignment:
        out += b"\0"
    return out + data


def gguf_seeds(out):
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)] + ["\u2581t", "he"]
    kvs = [
        ("general.architecture", 8, "llama"), ("general.alignment", 4, 32),
        ("llama.block_count", 4, 1), ("llama.context_length", 4, 64),
        ("llama.embedding_length", 4, 8), ("llama.feed_forward_length", 4, 16),
        ("llama.attention.head_count", 4, 2), ("llama.attention.layer_norm_rms_epsilon", 6, 1e-5),
        ("u8", 0, 7), ("i8", 1, -7), ("u16", 2, 700), ("i16", 3, -700), ("i32", 5, -70000),
        ("b", 7, True), ("u64", 10, 1 << 40), ("i64", 11, -(1 << 40)), ("f64", 12, 0.25),
        ("arr.f32", 9, (6, [0.5, 1.5])), ("arr.arr", 9, (9, [(4, [1, 2]), (8, ["x"])])),
        ("tokenizer.ggml.model", 8, "llama"),
        ("tokenizer.ggml.tokens", 9, (8, tokens)),
        ("tokenizer.ggml.scores", 9, (6, [0.0] * len(tokens))),
        ("tokenizer.ggml.token_type", 9, (5, [2, 3, 3] + [6] * 256 + [1, 1])),
        ("tokenizer.chat_template", 8, "{% for m in messages %}<|im_start|>{{ m.role }}{% endfor %}"),
    ]
    f32 = struct.pack("<8f", *range(8))
    q8_0 = struct.pack("<e", 0.5) + bytes(range(32))  # one Q8_0 block (32 values)
    tensors = [("token_embd.weight", 0, [8, 1], f32), ("f16", 1, [4], struct.pack("<4e", 1, 2, 3, 4)),
               ("q8", 8, [32], q8_0)]
    put(out, "gguf", gguf(kvs, tensors), "synthetic_v3")
    put(out, "gguf", gguf(kvs[:6], tensors[:1], version=2), "synthetic_v2")
    put(out, "gguf", gguf([], []), "empty")
    for path in sorted(glob.glob(os.path.join(SHARED, "llm", "*.gguf")) +
                       glob.glob(os.path.join(SHARED, "llm", "malformed", "*.gguf")) +
                       glob.glob(os.path.join(SHARED, "llm", "vocab", "ggml-vocab-*.gguf"))[:6]):
        # The header and metadata are what is parsed; 64 KiB keeps the corpus fast to replay.
        put(out, "gguf", read(path)[:65536], os.path.basename(path) + ".head")


# ---- safetensors --------------------------------------------------------------------------

def safetensors(entries, meta=None):
    header = {}
    data = b""
    for name, dtype, shape, payload in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    if meta:
        header["__metadata__"] = meta
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def safetensors_seeds(out):
    put(out, "safetensors", safetensors([("w", "F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
                                         ("h", "F16", [3], struct.pack("<3e", 1, 2, 3)),
                                         ("b", "BF16", [1, 1, 2], b"\x80\x3f\x00\x40")],
                                        {"format": "pt"}), "three_dtypes")
    put(out, "safetensors", safetensors([("s", "F32", [], struct.pack("<f", 1))]), "scalar")
    put(out, "safetensors", safetensors([("i", "I64", [1], bytes(8))]), "unsupported_dtype")
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "llm", "fixtures", "*", "*.safetensors"))):
        blob = read(path)
        n = struct.unpack("<Q", blob[:8])[0]
        header = json.loads(blob[8:8 + n])
        # Keep the real header, shrink the data: each tensor's first elements only.
        small = []
        for name, e in header.items():
            if name == "__metadata__":
                continue
            size = {"F32": 4, "F16": 2, "BF16": 2}.get(e["dtype"], 4)
            small.append((name, e["dtype"], [2], blob[8 + n + e["data_offsets"][0]:][:2 * size]))
        put(out, "safetensors", safetensors(small[:8], header.get("__metadata__")),
              os.path.basename(os.path.dirname(path)) + "_" + os.path.basename(path))
    for path in glob.glob(os.path.join(ROOT, "tests", "llm", "fixtures", "*", "*.index.json")):
        put(out, "safetensors", read(path), "index_" + os.path.basename(os.path.dirname(path)))
    put(out, "safetensors", json.dumps({"weight_map": {"a": "model-00001-of-00001.safetensors",
                                                        "b": "model-00001-of-00001.safetensors"}}),
        "index_valid")


# ---- text and JSON ------------------------------------------------------------------------

def cpp_string_literals(path):
    """The plain "..." literals of a C++ test file (escapes decoded the simple way)."""
    text = read(path).decode("utf-8", "replace")
    out = []
    for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"', text):
        s = m.group(1)
        s = s.replace("\\n", "\n").replace("\\t", "\t").replace('\\"', '"').replace("\\\\", "\\")
        if len(s) >= 3:
            out.append(s)
    return out


def text_seeds(out):
    # Tokenizer: the llama.cpp vocab test texts, under a few selectors (vocabulary, options).
    texts = []
    for path in sorted(glob.glob(os.path.join(SHARED, "llm", "vocab", "*.inp")))[:3]:
        texts += read(path).decode("utf-8", "replace").split("\n__ggml_vocab_test__\n")
    texts += ["Hello world", " Hello World!", "<|im_end|> <tool_call>{}", "12345 é", "\u2581x"]
    for i, t in enumerate(sorted(set(texts))[:120]):
        put(out, "tokenizer", bytes([i % 9 | (0x30 if i % 4 == 0 else 0)]) + t.encode())
    # Chat templates: the fixtures' templates plus a role/content pair.
    for path in glob.glob(os.path.join(ROOT, "tests", "llm", "fixtures", "*", "tokenizer_config.json")):
        tmpl = json.loads(read(path)).get("chat_template", "")
        if isinstance(tmpl, str):
            put(out, "chat_template", tmpl.encode() + SEP + b"user" + SEP + b"Hi <|im_end|>")
    for marker in ["<|start_header_id|>", "<|im_start|>", "<start_of_turn>", "<|user|><|end|>",
                   "<|user|>", "[INST]", ""]:
        put(out, "chat_template", marker.encode() + SEP + b"system" + SEP + b"late system")
    # Tool-call parser and text shaping: replies from our tests and model references.
    replies = ['Sure.<tool_call>{"name": "set_timer", "arguments": {"minutes": 5}}</tool_call> Done.',
               '<tool_call>{"name": "get_time", "arguments": {}}', "No call here. <tool", "a</tool_call>b",
               '<tool_call><tool_call>{}</tool_call></tool_call>']
    for path in [os.path.join(ROOT, "tests", "pipeline", "tool_call_parser_test.cc")]:
        if os.path.exists(path):
            replies += cpp_string_literals(path)
    for i, r in enumerate(replies):
        put(out, "tool_call_parser", bytes([i * 37 % 256]) + r.encode())
    # Tool-call grammar: the text after "<tool_call>", valid, partial and broken.
    calls = ['{"name": "set_timer", "arguments": {"duration": "5 minutes", "label": "tea"}}</tool_call>',
             '\n {"name": "get_time", "arguments": {}}\n</tool_call> It is noon.',
             '{"name": "change_volume", "arguments": {"delta": -10}}</tool_call>',
             '{"name": "set_mode", "arguments": {"mode": "eco", "quiet": true, "ratio": 2.5e-1, '
             '"extra": {"a": [1, null, "x\\u00e9"]}}}</tool_call>',
             '{"name": "ping", "arguments": {"x": {}}}</tool_call>',
             '{"name": "set_volume", "arguments": {"level": 1', '{"name": "set_timer", "arguments": {".',
             '{"name": "set_timer", "arguments": {"duration": "5 minutes", "tag": "wake-up, Strum"}}</tool_call>',
             '{"name": "set_timer", "arguments": {"tag": "caf\\u00e9", "duration": "1 h"}}</tool_call>']
    for r in calls:
        put(out, "tool_call_grammar", r.encode())
    speech = []
    for name in ["text_shaping_test.cc", "clause_chunker_test.cc"]:
        path = os.path.join(ROOT, "tests", "tts", name)
        if os.path.exists(path):
            speech += cpp_string_literals(path)
    ref = os.path.join(ROOT, "models", "llm", "reference.txt")
    if os.path.exists(ref):
        speech += read(ref).decode("utf-8", "replace").split("\n")[:20]
    for i, s in enumerate(sorted(set(speech))):
        put(out, "text_shaping", bytes([i * 53 % 256]) + s.encode())
    # Configuration and manifests.
    configs = [
        "{}",
        json.dumps({"models": {"llm": "/opt/parley/chat.gguf", "voice": "espeak:en-us"},
                    "vad": {"threshold": 0.6}, "tools": {"disabled": ["set_alarm"]},
                    "remote_llm": {"enabled": True, "url": "http://10.0.0.2:8080/v1",
                                   "api_key_env": "PARLEY_KEY"}}),
    ]
    path = os.path.join(ROOT, "tests", "pipeline", "config_test.cc")
    if os.path.exists(path):
        configs += [s for s in cpp_string_literals(path) if s.lstrip().startswith("{")]
    for c in configs:
        put(out, "assistant_config", c.encode() + SEP + b"vad.threshold=0.7" + SEP + b"tools.disabled=a,b")
    put(out, "manifest", read(os.path.join(ROOT, "models", "manifest.json")), "manifest.json")
    for path in glob.glob(os.path.join(SHARED, "tts", "voices", "*.onnx.json")):
        put(out, "voice_config", read(path), os.path.basename(path))
    # Hugging Face folders.
    for d in sorted(glob.glob(os.path.join(ROOT, "tests", "llm", "fixtures", "hf_*"))):
        base = os.path.basename(d)
        put(out, "hf_config", read(os.path.join(d, "config.json")), base)
        tc = os.path.join(d, "tokenizer_config.json")
        tc_bytes = read(tc) if os.path.exists(tc) else b""
        if os.path.exists(os.path.join(d, "tokenizer.json")):
            put(out, "hf_tokenizer", b"\0" + read(os.path.join(d, "tokenizer.json")) + SEP + tc_bytes, base)
        if os.path.exists(os.path.join(d, "tokenizer.model")):
            put(out, "hf_tokenizer", b"\1" + read(os.path.join(d, "tokenizer.model")) + SEP + tc_bytes, base)


# ---- servers ------------------------------------------------------------------------------

def wyoming_event(etype, data=None, payload=b"", inline=False):
    header = {"type": etype, "version": "1.5.2"}
    section = b""
    if data is not None and inline:
        header["data"] = data
    elif data is not None:
        section = json.dumps(data).encode()
        header["data_length"] = len(section)
    if payload:
        header["payload_length"] = len(payload)
    return json.dumps(header).encode() + b"\n" + section + payload


def server_seeds(out):
    # Wyoming: the conversations Home Assistant has with a speech service (first byte: how the
    # stream is cut).
    fmt = {"rate": 16000, "width": 2, "channels": 1}
    pcm = struct.pack("<16h", *[(i * 2000) % 30000 - 15000 for i in range(16)])
    streams = {
        "describe": wyoming_event("describe"),
        "ping": wyoming_event("ping", {"text": "hi"}, inline=True) + wyoming_event("ping"),
        "transcribe": wyoming_event("transcribe", {"language": "en"}) +
        wyoming_event("audio-start", fmt) + wyoming_event("audio-chunk", fmt, pcm) +
        wyoming_event("audio-chunk", dict(fmt, channels=2), pcm) + wyoming_event("audio-stop"),
        "detect": wyoming_event("detect", {"names": ["ok_nabu"]}) +
        wyoming_event("audio-chunk", fmt, pcm) + wyoming_event("audio-stop"),
        "synthesize": wyoming_event("synthesize", {"text": "Hello there.", "voice": {"name": "alloy"}}),
        "bad_header": b"not json\n" + wyoming_event("describe"),
        "data_not_object": b'{"type":"x","data_length":2}\n[]' + wyoming_event("ping"),
        "negative_length": b'{"type":"audio-chunk","payload_length":-1}\n',
    }
    for i, (name, stream) in enumerate(streams.items()):
        put(out, "wyoming", bytes([i * 41 % 256]) + stream, name)
    # HTTP: requests for every route, as clients send them.
    def request(method, path, body=b"", ctype=None, extra=b""):
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode() + extra
        if ctype:
            head += f"Content-Type: {ctype}\r\n".encode()
        if body or method == "POST":
            head += f"Content-Length: {len(body)}\r\n".encode()
        return head + b"\r\n" + body
    chat = {"model": "parley", "messages": [{"role": "system", "content": "Be brief."},
                                            {"role": "user", "content": "Hi"}],
            "max_tokens": 4, "seed": 1, "temperature": 0.5, "stop": ["\n"]}
    tools = dict(chat, tools=[{"type": "function", "function": {
        "name": "set_timer", "parameters": {"type": "object", "properties": {"minutes": {"type": "integer"}}}}}])
    wav = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16) + b"data" + struct.pack("<I", len(pcm)) + pcm
    boundary = "parleyfuzz"
    def multipart(fields, file_bytes):
        body = b""
        for k, v in fields.items():
            body += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
                 "Content-Type: audio/wav\r\n\r\n").encode() + file_bytes + f"\r\n--{boundary}--\r\n".encode()
        return body
    mp = f"multipart/form-data; boundary={boundary}"
    requests = {
        "health": request("GET", "/health"),
        "ready": request("GET", "/ready"),
        "models": request("GET", "/v1/models"),
        "metrics": request("GET", "/metrics"),
        "kiosk": request("GET", "/"),
        "stop": request("POST", "/v1/stop"),
        "chat": request("POST", "/v1/chat/completions", json.dumps(chat).encode(), "application/json"),
        "chat_stream": request("POST", "/v1/chat/completions",
                               json.dumps(dict(chat, stream=True, stream_options={"include_usage": True})).encode(),
                               "application/json"),
        "chat_tools": request("POST", "/v1/chat/completions", json.dumps(tools).encode(), "application/json"),
        "chat_bad_json": request("POST", "/v1/chat/completions", b'{"messages": [', "application/json"),
        "speech": request("POST", "/v1/audio/speech",
                          json.dumps({"model": "tts-1", "input": "Hi", "voice": "alloy",
                                      "response_format": "wav"}).encode(), "application/json"),
        "transcription": request("POST", "/v1/audio/transcriptions",
                                 multipart({"model": "whisper-1", "response_format": "verbose_json",
                                            "timestamp_granularities[]": "word"}, wav), mp),
        "converse": request("POST", "/v1/converse", multipart({"voice": "alloy"}, wav), mp),
        "converse_raw": request("POST", "/v1/converse", wav, "audio/wav"),
        "auth": request("GET", "/v1/models", extra=b"Authorization: Bearer secret\r\n"),
        "chunked": b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   b"Content-Type: application/json\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    }
    for name, r in requests.items():
        put(out, "http_request", r, name)


# ---- ONNX ---------------------------------------------------------------------------------

def onnx_seeds(out):
    paths = sorted(glob.glob(os.path.join(ROOT, "tests", "onnx", "data", "**", "*.onnx"), recursive=True))
    paths += sorted(glob.glob(os.path.join(ROOT, "tests", "tts", "data", "*.onnx")))
    node = sorted(glob.glob("/usr/share/libonnx-testdata/data/node/*/model.onnx"))
    paths += node[::6]  # a spread of op types (~180 small models)
    for p in paths:
        blob = read(p)
        if len(blob) <= 256 * 1024:
            rel = os.path.relpath(p, "/").replace("/", "_")
            put(out, "onnx", blob, rel[-80:])


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    gguf_seeds(out)
    safetensors_seeds(out)
    text_seeds(out)
    server_seeds(out)
    onnx_seeds(out)
    for target in sorted(os.listdir(out)):
        print(f"{target}: {len(os.listdir(os.path.join(out, target)))} seeds")


if __name__ == "__main__":
    main()
