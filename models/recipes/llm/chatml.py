"""ChatML rendering and tokenization that mirror Parley's runtime (llm/tokenizer.cc, chat_template.cc).

Rendering: every message is "<|im_start|>ROLE\\nCONTENT<|im_end|>\\n"; a reply is prompted with
"<|im_start|>assistant\\n". Calls are Qwen2.5/Hermes <tool_call> blocks; results come back as a
"tool" message holding the product's ToolResult JSON (see tools.json).

Tokenization: the runtime (like llama.cpp's SPM path) first splits the text on special pieces
(control and user-defined), emits those as single ids, and encodes every other fragment with a
leading "▁" (space prefix) by score-ordered BPE merges. encode() here does exactly that with the
sentencepiece model, so training sees the same ids the runtime will produce.

Usage:
  tok = ChatTokenizer("work/tokenizer.model")
  ids, loss_mask = tok.encode_conversation(messages)   # loss on assistant contents + <|im_end|>
  ids = tok.encode_prompt(messages)                    # + "<|im_start|>assistant\\n"
"""
from __future__ import annotations

import json
import re

CONTROL = ["<|im_start|>", "<|im_end|>"]
USER_DEFINED = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "\n"]
SPECIALS = CONTROL + USER_DEFINED


def tool_call_text(name: str, arguments: dict) -> str:
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}) + "\n</tool_call>"


def tool_result_text(result: dict) -> str:
    """A tool message's content as the C++ ToolResult::to_json writes it (nlohmann: sorted keys,
    no spaces)."""
    return json.dumps(result, separators=(",", ":"), sort_keys=True)


def parse_tool_call(text: str):
    """(name, arguments) of the first <tool_call> in text, or None when absent/malformed."""
    m = re.search(r"<tool_call>\s*(\{.*?\})\s*</tool_call>", text, re.S)
    if not m:
        m = re.search(r"<tool_call>\s*(\{.*\})\s*$", text, re.S)
    if not m:
        return None
    try:
        obj = json.loads(m.group(1))
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("arguments", {}), dict):
        return None
    return obj.get("name"), obj.get("arguments", {})


def render(messages, add_generation_prompt=False) -> str:
    s = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    if add_generation_prompt:
        s += "<|im_start|>assistant\n"
    return s




def _splitter(pieces) -> re.Pattern:
    return re.compile("(" + "|".join(re.escape(s) for s in sorted(pieces, key=len, reverse=True)) + ")")


class ChatTokenizer:
    def __init__(self, model_path: str):
        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_file=model_path)
        self.special_ids = {s: self.sp.piece_to_id(s) for s in SPECIALS}
        for s, i in self.special_ids.items():
            if i == self.sp.unk_id():
                raise ValueError(f"{model_path}: special piece {s!r} missing")
        # Any other user-defined piece (train_tokenizer.py --quote: the double quote) splits the
        # text too, as the runtime splits on every user-defined token.
        from sentencepiece import sentencepiece_model_pb2

        proto = sentencepiece_model_pb2.ModelProto()
        proto.ParseFromString(self.sp.serialized_model_proto())
        self.user_defined = {p.piece for p in proto.pieces if p.type == p.USER_DEFINED}
        for piece in self.user_defined:
            self.special_ids.setdefault(piece, self.sp.piece_to_id(piece))
        self._split = _splitter(self.special_ids)
        self.bos_id = self.sp.bos_id()
        self.im_end_id = self.special_ids["<|im_end|>"]
        self.vocab_size = self.sp.get_piece_size()

    def encode(self, text: str) -> list[int]:
        out = []
        for frag in self._split.split(text):
            if not frag:
                continue
            if frag in self.special_ids:
                out.append(self.special_ids[frag])
            else:
                out.extend(self.sp.encode(frag))  # adds the "▁" prefix, as the runtime does
        return out

    def decode(self, ids) -> str:
        inv = {i: s for s, i in self.special_ids.items()}
        parts, run = [], []
        for i in ids:
            if i in inv:
                if run:
                    parts.append(self.sp.decode(run))
                    run = []
                parts.append(inv[i])
            else:
                run.append(i)
        if run:
            parts.append(self.sp.decode(run))
        return "".join(parts)

    def encode_conversation(self, messages):
        """ids with BOS, and a 0/1 mask: 1 where the token is predicted as assistant output."""
        ids, mask = [self.bos_id], [0]
        for m in messages:
            head = self.encode(f"<|im_start|>{m['role']}\n")
            ids += head
            mask += [0] * len(head)
            body = self.encode(m["content"]) + [self.im_end_id]
            ids += body
            mask += [1 if m["role"] == "assistant" else 0] * len(body)
            nl = self.encode("\n")
            ids += nl
            mask += [0] * len(nl)
        return ids, mask

    def encode_prompt(self, messages):
        return [self.bos_id] + self.encode(render(messages, add_generation_prompt=True))
