"""A tiny llama-architecture decoder in plain PyTorch (no transformers dependency).

The parameter names and layouts follow Hugging Face's LlamaForCausalLM exactly, so the state
dict can be written to model.safetensors and read by any llama converter:

  model.embed_tokens.weight                      [vocab, hidden]
  model.layers.{i}.input_layernorm.weight        [hidden]
  model.layers.{i}.self_attn.{q,k,v,o}_proj.weight   (no biases)
  model.layers.{i}.post_attention_layernorm.weight
  model.layers.{i}.mlp.{gate,up,down}_proj.weight   (SwiGLU)
  model.norm.weight, lm_head.weight              (untied)

RoPE uses the HF convention (rotate_half: the first and second halves of each head are the
pair), which is what llama converters expect before they permute Q/K for GGUF.

Usage:
  cfg = LlamaConfig(vocab_size=1536)
  model = TinyLlama(cfg)
  logits = model(tokens)                          # tokens: [batch, time] int64
  logits = model(tokens, positions, doc_ids)      # packed rows: per-token positions, block mask
"""
from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclasses.dataclass
class LlamaConfig:
    vocab_size: int = 1536
    hidden_size: int = 256
    intermediate_size: int = 768
    num_hidden_layers: int = 6
    num_attention_heads: int = 8
    num_key_value_heads: int = 4
    max_position_embeddings: int = 1024
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    bos_token_id: int = 1
    eos_token_id: int = 2

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def hf_config(self, eos_token_id: int | None = None) -> dict:
        """The config.json dictionary of the equivalent Hugging Face LlamaForCausalLM."""
        return {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "head_dim": self.head_dim,
            "max_position_embeddings": self.max_position_embeddings,
            "rms_norm_eps": self.rms_norm_eps,
            "rope_theta": self.rope_theta,
            "rope_scaling": None,
            "hidden_act": "silu",
            "attention_bias": False,
            "mlp_bias": False,
            "tie_word_embeddings": False,
            "bos_token_id": self.bos_token_id,
            "eos_token_id": self.eos_token_id if eos_token_id is None else eos_token_id,
            "initializer_range": 0.02,
            "torch_dtype": "float32",
            "use_cache": True,
        }


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


def rope_tables(head_dim: int, positions: torch.Tensor, theta: float):
    """cos/sin of shape [..., time, head_dim] for integer positions [..., time] (HF layout)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    freqs = positions.to(torch.float32)[..., None] * inv_freq  # [..., T, D/2]
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.cfg = cfg
        hd = cfg.head_dim
        self.q_proj = nn.Linear(cfg.hidden_size, cfg.num_attention_heads * hd, bias=False)
        self.k_proj = nn.Linear(cfg.hidden_size, cfg.num_key_value_heads * hd, bias=False)
        self.v_proj = nn.Linear(cfg.hidden_size, cfg.num_key_value_heads * hd, bias=False)
        self.o_proj = nn.Linear(cfg.num_attention_heads * hd, cfg.hidden_size, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        hd, nh, nkv = self.cfg.head_dim, self.cfg.num_attention_heads, self.cfg.num_key_value_heads
        q = self.q_proj(x).view(b, t, nh, hd).transpose(1, 2)
        k = self.k_proj(x).view(b, t, nkv, hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, nkv, hd).transpose(1, 2)
        cos, sin = cos[:, None], sin[:, None]  # [B,1,T,D]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if nkv != nh:
            k = k.repeat_interleave(nh // nkv, dim=1)
            v = v.repeat_interleave(nh // nkv, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        scores = scores.masked_fill(~mask[:, None], float("-inf"))
        out = torch.softmax(scores, dim=-1) @ v
        return self.o_proj(out.transpose(1, 2).reshape(b, t, nh * hd))


class MLP(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Backbone(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


class TinyLlama(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.cfg = cfg
        self.model = Backbone(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        self.apply(self._init)
        # GPT-2 style scaled init of the residual output projections.
        for name, p in self.named_parameters():
            if name.endswith("o_proj.weight") or name.endswith("down_proj.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg.num_hidden_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, tokens, positions=None, doc_ids=None):
        b, t = tokens.shape
        if positions is None:
            positions = torch.arange(t).expand(b, t)
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        mask = causal.expand(b, t, t)
        if doc_ids is not None:
            mask = mask & (doc_ids[:, :, None] == doc_ids[:, None, :])
        cos, sin = rope_tables(self.cfg.head_dim, positions, self.cfg.rope_theta)
        x = self.model.embed_tokens(tokens)
        for layer in self.model.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.model.norm(x))

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


@torch.no_grad()
def greedy_generate(model: TinyLlama, prompt: list, stop_ids: set, max_new: int = 64) -> list:
    """Greedy continuation of `prompt` (token ids) with a per-layer K/V cache; returns new ids
    (without the stop token)."""
    cfg = model.cfg
    hd, nh, nkv = cfg.head_dim, cfg.num_attention_heads, cfg.num_key_value_heads
    cache = [None] * cfg.num_hidden_layers
    out, tokens, pos = [], list(prompt), 0
    for _ in range(max_new + 1):
        x_ids = torch.tensor(tokens)[None]
        t = x_ids.shape[1]
        positions = torch.arange(pos, pos + t)[None]
        cos, sin = rope_tables(hd, positions, cfg.rope_theta)
        x = model.model.embed_tokens(x_ids)
        for li, layer in enumerate(model.model.layers):
            a = layer.self_attn
            h = layer.input_layernorm(x)
            q = a.q_proj(h).view(1, t, nh, hd).transpose(1, 2)
            k = a.k_proj(h).view(1, t, nkv, hd).transpose(1, 2)
            v = a.v_proj(h).view(1, t, nkv, hd).transpose(1, 2)
            q = q * cos[:, None] + rotate_half(q) * sin[:, None]
            k = k * cos[:, None] + rotate_half(k) * sin[:, None]
            if cache[li] is not None:
                k = torch.cat([cache[li][0], k], 2)
                v = torch.cat([cache[li][1], v], 2)
            cache[li] = (k, v)
            kk = k.repeat_interleave(nh // nkv, dim=1)
            vv = v.repeat_interleave(nh // nkv, dim=1)
            s = (q @ kk.transpose(-1, -2)) / math.sqrt(hd)
            total = kk.shape[2]
            mask = torch.ones(t, total, dtype=torch.bool).tril(diagonal=total - t)
            s = s.masked_fill(~mask, float("-inf"))
            o = (torch.softmax(s, -1) @ vv).transpose(1, 2).reshape(1, t, nh * hd)
            x = x + a.o_proj(o)
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        logits = model.lm_head(model.model.norm(x[:, -1]))
        nxt = int(logits.argmax(-1))
        pos += t
        if nxt in stop_ids or len(out) >= max_new:
            break
        out.append(nxt)
        tokens = [nxt]
    return out
