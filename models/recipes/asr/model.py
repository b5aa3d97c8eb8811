"""Small streaming LSTM transducer in the shape sherpa-onnx's "lstm" family loads.

The layout follows icefall's lstm_transducer_stateless2 as sherpa-onnx runs it:

  encoder(x [N,T,80], h [L,N,d_model], c [L,N,rnn_hidden]) -> encoder_out [N,T',J], next_h, next_c
  decoder(y [N,context_size] int64)                         -> decoder_out [N,J]
  joiner(encoder_out [N,J], decoder_out [N,J])              -> logit [N,V]

where J is the joiner dimension (the encoder and decoder projections live inside the encoder and
decoder graphs, so the joiner is only tanh + output linear), T' = ((T - 3) // 2 - 1) // 2 and the
subsampling convolution has no padding, so running the encoder on chunks of T frames shifted by
decode_chunk_len = 4 * T' frames gives exactly the same frames as running it on the whole utterance.

Training uses torch.nn.LSTM with proj_size; export (see export.py) unrolls the same weights into
plain MatMul/Sigmoid/Tanh/Mul/Add steps over the fixed chunk so the graph needs no LSTM operator
and every weight product can be dynamically quantized.

Usage:
  cfg = ModelConfig.tiny(vocab_size=60)
  model = Transducer(cfg)
  rnnt_loss, ctc_loss = model.loss(feats, feat_lens, targets, target_lens)
"""

from __future__ import annotations

import dataclasses
import math
from typing import List, Tuple

import torch
import torch.nn as nn
import torchaudio


@dataclasses.dataclass
class ModelConfig:
    vocab_size: int = 256
    feature_dim: int = 80
    conv_channels: int = 64
    d_model: int = 256
    rnn_hidden_size: int = 640
    num_encoder_layers: int = 3
    decoder_dim: int = 256
    joiner_dim: int = 256
    context_size: int = 2
    dropout: float = 0.1
    # Output frames produced per streaming chunk (T' above).
    chunk_out_frames: int = 8
    # Training-only auxiliary CTC loss on the encoder output, scored through the joiner with a
    # zero decoder contribution (output_linear(tanh(enc))), so nothing extra is exported and a
    # CTC-trained encoder + joiner is already a working (repeat-prone) greedy transducer when the
    # RNN-T loss joins in. The CTC loss makes the encoder learn acoustics early instead of the
    # transducer settling on its decoder's text prior.
    ctc_head: bool = False

    @staticmethod
    def tiny(vocab_size: int) -> "ModelConfig":
        return ModelConfig(vocab_size=vocab_size, conv_channels=8, d_model=32,
                           rnn_hidden_size=48, num_encoder_layers=2, decoder_dim=32,
                           joiner_dim=32, context_size=2, dropout=0.0)

    @property
    def decode_chunk_len(self) -> int:
        return 4 * self.chunk_out_frames

    @property
    def chunk_frames(self) -> int:
        # Smallest T with ((T - 3) // 2 - 1) // 2 == chunk_out_frames: 4 * T' + 7.
        return self.decode_chunk_len + 7


def subsampled_length(t: torch.Tensor | int):
    return ((t - 3) // 2 - 1) // 2


class Conv2dSubsampling(nn.Module):
    """x [N,T,F] -> [N,((T-3)//2-1)//2, d_model]; no padding (streaming-exact)."""

    def __init__(self, feature_dim: int, channels: int, d_model: int):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, channels, 3, stride=1), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, stride=2), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, stride=2), nn.ReLU())
        f = ((feature_dim - 2) - 3) // 2 + 1
        f = (f - 3) // 2 + 1
        self.out = nn.Linear(channels * f, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x.unsqueeze(1))  # [N,C,T',F']
        n, c, t, f = x.shape
        x = x.permute(0, 2, 1, 3).reshape(n, t, c * f)
        return self.out(x)


class EncoderLayer(nn.Module):
    """LSTM with projection + residual + LayerNorm."""

    def __init__(self, d_model: int, hidden: int, dropout: float):
        super().__init__()
        self.lstm = nn.LSTM(d_model, hidden, proj_size=d_model, batch_first=False)
        self.norm = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
        # x [T,N,D], h [1,N,D], c [1,N,H]
        y, (h2, c2) = self.lstm(x, (h, c))
        return self.norm(x + self.dropout(y)), h2, c2

    def forward_unrolled(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
        """Same maths as forward() with explicit per-step ops (for ONNX export).

        x [T,N,D] with T a fixed Python int, h [N,D], c [N,H].
        """
        w_ih = self.lstm.weight_ih_l0.t()
        w_hh = self.lstm.weight_hh_l0.t()
        w_hr = self.lstm.weight_hr_l0.t()
        bias = self.lstm.bias_ih_l0 + self.lstm.bias_hh_l0
        hidden = self.lstm.hidden_size
        xw = torch.matmul(x, w_ih) + bias  # [T,N,4H]
        outs: List[torch.Tensor] = []
        for t in range(x.shape[0]):
            gates = xw[t] + torch.matmul(h, w_hh)
            i = torch.sigmoid(gates[:, 0:hidden])
            f = torch.sigmoid(gates[:, hidden:2 * hidden])
            g = torch.tanh(gates[:, 2 * hidden:3 * hidden])
            o = torch.sigmoid(gates[:, 3 * hidden:4 * hidden])
            c = f * c + i * g
            h = torch.matmul(o * torch.tanh(c), w_hr)
            outs.append(h)
        y = torch.stack(outs, dim=0)
        return self.norm(x + y), h, c


class Encoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        # Global feature normalisation baked into the graph (set from data by train.py).
        self.register_buffer("feat_mean", torch.zeros(cfg.feature_dim))
        self.register_buffer("feat_istd", torch.ones(cfg.feature_dim))
        self.embed = Conv2dSubsampling(cfg.feature_dim, cfg.conv_channels, cfg.d_model)
        self.layers = nn.ModuleList(
            EncoderLayer(cfg.d_model, cfg.rnn_hidden_size, cfg.dropout)
            for _ in range(cfg.num_encoder_layers))
        self.encoder_proj = nn.Linear(cfg.d_model, cfg.joiner_dim)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor):
        """Whole utterances: x [N,T,80] -> ([N,T',J], lengths')."""
        x = (x - self.feat_mean) * self.feat_istd
        x = self.embed(x).transpose(0, 1)  # [T',N,D]
        n = x.shape[1]
        for layer in self.layers:
            h = x.new_zeros(1, n, self.cfg.d_model)
            c = x.new_zeros(1, n, self.cfg.rnn_hidden_size)
            x, _, _ = layer(x, h, c)
        return self.encoder_proj(x.transpose(0, 1)), subsampled_length(lengths)

    def streaming_forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor,
                          unrolled: bool = False):
        """One chunk: x [N,T,80], h [L,N,D], c [L,N,H] -> encoder_out, next_h, next_c."""
        x = (x - self.feat_mean) * self.feat_istd
        x = self.embed(x).transpose(0, 1)
        hs, cs = [], []
        for i, layer in enumerate(self.layers):
            if unrolled:
                x, h2, c2 = layer.forward_unrolled(x, h[i], c[i])
            else:
                x, h2, c2 = layer(x, h[i:i + 1], c[i:i + 1])
                h2, c2 = h2[0], c2[0]
            hs.append(h2)
            cs.append(c2)
        out = self.encoder_proj(x.transpose(0, 1))
        return out, torch.stack(hs, 0), torch.stack(cs, 0)


class Decoder(nn.Module):
    """Stateless decoder: embedding of the last context_size tokens -> [.., J].

    Token id -1 (sherpa-onnx's "no token yet") embeds to zeros.
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.decoder_dim)
        self.conv = None
        if cfg.context_size > 1:
            self.conv = nn.Conv1d(cfg.decoder_dim, cfg.decoder_dim, cfg.context_size,
                                  groups=cfg.decoder_dim, bias=False)
        self.decoder_proj = nn.Linear(cfg.decoder_dim, cfg.joiner_dim)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """y [N,U] (already left-padded with context_size-1 tokens) -> [N,U-ctx+1,J]."""
        mask = (y >= 0).unsqueeze(-1).to(torch.float32)
        e = self.embedding(y.clamp(min=0)) * mask
        if self.conv is not None:
            e = self.conv(e.transpose(1, 2)).transpose(1, 2)
        e = torch.relu(e)
        return self.decoder_proj(e)


class Joiner(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.output_linear = nn.Linear(cfg.joiner_dim, cfg.vocab_size)

    def forward(self, enc: torch.Tensor, dec: torch.Tensor) -> torch.Tensor:
        return self.output_linear(torch.tanh(enc + dec))


class Transducer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.joiner = Joiner(cfg)

    def ctc_logits(self, enc: torch.Tensor) -> torch.Tensor:
        """CTC scores of encoder frames: the joiner with no decoder contribution."""
        return self.joiner.output_linear(torch.tanh(enc))

    def loss(self, feats, feat_lens, targets, target_lens, blank: int = 0, rnnt: bool = True):
        """feats [N,T,80], targets [N,U] int64 (padded with anything), lens int64.

        Returns (transducer loss or None when rnnt=False, CTC loss or None), each summed over
        tokens / N.
        """
        enc, enc_lens = self.encoder(feats, feat_lens)
        n = targets.shape[0]
        ctc = None
        if self.cfg.ctc_head:
            log_probs = self.ctc_logits(enc).log_softmax(-1).transpose(0, 1)  # [T',N,V]
            ctc = nn.functional.ctc_loss(log_probs, targets, enc_lens, target_lens, blank=blank,
                                         reduction="sum", zero_infinity=True) / n
        if not rnnt:
            return None, ctc
        ctx = self.cfg.context_size
        start = targets.new_full((n, ctx), blank)
        start[:, :ctx - 1] = -1
        dec_in = torch.cat([start, targets.clamp(min=0)], dim=1)
        dec = self.decoder(dec_in)  # [N,U+1,J]
        logits = self.joiner(enc.unsqueeze(2), dec.unsqueeze(1))
        transducer = torchaudio.functional.rnnt_loss(
            logits, targets.to(torch.int32), enc_lens.to(torch.int32),
            target_lens.to(torch.int32), blank=blank, reduction="sum",
            clamp=-1) / n
        return transducer, ctc

    @torch.no_grad()
    def greedy_decode(self, feats: torch.Tensor, max_sym_per_frame: int = 1) -> List[int]:
        """Greedy decoding of one utterance feats [T,80] (whole-utterance encoder)."""
        enc, _ = self.encoder(feats.unsqueeze(0), torch.tensor([feats.shape[0]]))
        ctx = self.cfg.context_size
        hyp = [-1] * (ctx - 1) + [0]
        dec = self.decoder(torch.tensor([hyp[-ctx:]]))[:, -1]
        out: List[int] = []
        for t in range(enc.shape[1]):
            for _ in range(max_sym_per_frame):
                k = int(self.joiner(enc[:, t], dec).argmax(-1))
                if k == 0:
                    break
                hyp.append(k)
                out.append(k)
                dec = self.decoder(torch.tensor([hyp[-ctx:]]))[:, -1]
        return out


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
