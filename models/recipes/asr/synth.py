"""Speech synthesis with Debian's synthesizers and numpy augmentation, all at 16 kHz mono.

Voices are (engine, name) pairs: espeak-ng (English dialects x voice variants, rate and pitch
drawn per utterance), flite (kal, kal16, awb, rms, slt) and festival (kal_diphone,
cmu_us_slt_arctic_hts, batched through one `festival -b` run per call). HELDOUT_VOICE never
appears in training data.

Usage:
  wavs = synthesize([("espeak", "en-us+f2", "HELLO THERE", {"rate": 160, "pitch": 50})], tmpdir)
  y = augment(wavs[0], random.Random(1))
"""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torchaudio

SAMPLE_RATE = 16000
HELDOUT_VOICE = ("flite", "rms")

ESPEAK_DIALECTS = ["en-us", "en", "en-gb-x-rp", "en-gb-scotland", "en-gb-x-gbclan",
                   "en-gb-x-gbcwmd", "en-029"]
ESPEAK_VARIANTS = ["", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
                   "klatt", "klatt2", "klatt3", "klatt4", "croak", "Andy", "Annie", "Alex",
                   "Michael", "steph", "Denis", "edward", "Gene", "Lee", "linda", "Mike", "paul",
                   "rob", "robert", "travis", "victor", "norbert", "zac", "Alicia", "belinda",
                   "anika", "shelby", "quincy", "david", "john", "max", "adam", "grandma",
                   "grandpa", "aunty"]
FLITE_TRAIN = ["kal", "kal16", "awb", "slt"]
FESTIVAL_VOICES = ["kal_diphone", "cmu_us_slt_arctic_hts"]

Item = Tuple[str, str, str, Dict[str, int]]  # engine, voice, text, params


def pick_voice(rng: random.Random) -> Tuple[str, str, Dict[str, int]]:
    """A training voice with per-utterance parameters."""
    r = rng.random()
    if r < 0.5:
        dialect = rng.choice(ESPEAK_DIALECTS)
        variant = rng.choice(ESPEAK_VARIANTS)
        name = dialect + ("+" + variant if variant else "")
        return "espeak", name, {"rate": rng.randint(120, 210), "pitch": rng.randint(20, 80)}
    if r < 0.75:
        return "flite", rng.choice(FLITE_TRAIN), {}
    return "festival", rng.choice(FESTIVAL_VOICES), {}


def _read_wav(path: str) -> np.ndarray:
    w, sr = torchaudio.load(path)
    w = w.mean(dim=0, keepdim=True)
    if sr != SAMPLE_RATE:
        w = torchaudio.functional.resample(w, sr, SAMPLE_RATE)
    return w[0].numpy().astype(np.float32)


def _festival_batch(items: Sequence[Tuple[int, str, str]], tmp: str) -> None:
    """items: (index, voice, text) -> tmp/<index>.wav via one festival process per voice."""
    by_voice: Dict[str, List[Tuple[int, str]]] = {}
    for idx, voice, text in items:
        by_voice.setdefault(voice, []).append((idx, text))
    for voice, lst in by_voice.items():
        script = os.path.join(tmp, f"batch_{voice}.scm")
        with open(script, "w") as f:
            f.write(f"(voice_{voice})\n")
            for idx, text in lst:
                out = os.path.join(tmp, f"{idx}.wav")
                f.write(f'(set! utt1 (Utterance Text "{text.lower()}"))\n(utt.synth utt1)\n'
                        f'(utt.save.wave utt1 "{out}" \'riff)\n')
        subprocess.run(["festival", "-b", script], check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=600)


def synthesize(items: Sequence[Item], tmp: Optional[str] = None) -> List[Optional[np.ndarray]]:
    """Synthesize each item; returns float32 16 kHz arrays (None where synthesis failed)."""
    own = tmp is None
    tmpdir = tempfile.TemporaryDirectory(prefix="parley_asr_") if own else None
    tmp = tmpdir.name if own else tmp
    fest = []
    for i, (engine, voice, text, p) in enumerate(items):
        out = os.path.join(tmp, f"{i}.wav")
        lower = text.lower()
        if engine == "espeak":
            cmd = ["espeak-ng", "-v", voice, "-s", str(p.get("rate", 160)), "-p",
                   str(p.get("pitch", 50)), "-w", out, lower]
        elif engine == "flite":
            cmd = ["flite", "-voice", voice, "-t", lower, "-o", out]
        elif engine == "festival":
            fest.append((i, voice, lower))
            continue
        else:
            raise ValueError(f"unknown engine {engine}")
        subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120)
    if fest:
        _festival_batch(fest, tmp)
    result: List[Optional[np.ndarray]] = []
    for i in range(len(items)):
        path = os.path.join(tmp, f"{i}.wav")
        try:
            w = _read_wav(path)
            result.append(w if w.size > SAMPLE_RATE // 10 else None)
        except Exception:  # noqa: BLE001 - a failed synthesis only drops the utterance
            result.append(None)
        if os.path.exists(path):
            os.remove(path)
    if tmpdir is not None:
        tmpdir.cleanup()
    return result


def trim_silence(w: np.ndarray, threshold: float = 1e-3) -> np.ndarray:
    idx = np.nonzero(np.abs(w) > threshold)[0]
    if idx.size == 0:
        return w
    return w[max(0, idx[0] - 800):idx[-1] + 800]


def colored_noise(n: int, rng: np.random.Generator, kind: str) -> np.ndarray:
    white = rng.standard_normal(n).astype(np.float32)
    if kind == "white":
        return white
    spec = np.fft.rfft(white)
    f = np.arange(spec.size, dtype=np.float32) + 1.0
    spec = spec / (np.sqrt(f) if kind == "pink" else f)
    out = np.fft.irfft(spec, n).astype(np.float32)
    return out / (np.std(out) + 1e-9)


def synthetic_rir(rng: np.random.Generator) -> np.ndarray:
    rt60 = rng.uniform(0.15, 0.5)
    n = int(rt60 * SAMPLE_RATE)
    t = np.arange(n, dtype=np.float32) / SAMPLE_RATE
    rir = rng.standard_normal(n).astype(np.float32) * np.exp(-6.9 * t / rt60)
    rir *= rng.uniform(0.05, 0.4)
    rir[0] = 1.0
    return rir


def augment(w: np.ndarray, rng: random.Random) -> np.ndarray:
    """Speed/pitch (resampling), silence padding, reverb, noise, gain."""
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    w = trim_silence(w)
    if rng.random() < 0.6:
        factor = rng.uniform(0.88, 1.12)
        src = int(round(SAMPLE_RATE * factor / 100)) * 100
        w = torchaudio.functional.resample(torch.from_numpy(w), src, SAMPLE_RATE).numpy()
    pad_l = int(rng.uniform(0.05, 0.5) * SAMPLE_RATE)
    pad_r = int(rng.uniform(0.1, 0.6) * SAMPLE_RATE)
    w = np.concatenate([np.zeros(pad_l, np.float32), w, np.zeros(pad_r, np.float32)])
    w = w / (np.abs(w).max() + 1e-9)
    if rng.random() < 0.25:
        rir = synthetic_rir(nrng)
        w = np.fft.irfft(np.fft.rfft(w, len(w) + len(rir)) * np.fft.rfft(rir, len(w) + len(rir)),
                         len(w) + len(rir))[:len(w)].astype(np.float32)
        w = w / (np.abs(w).max() + 1e-9)
    if rng.random() < 0.5:
        snr_db = rng.uniform(10, 40)
        noise = colored_noise(len(w), nrng, rng.choice(["white", "pink", "brown"]))
        p_sig = float(np.mean(w ** 2)) + 1e-9
        noise *= np.sqrt(p_sig / (10 ** (snr_db / 10))) / (np.std(noise) + 1e-9)
        w = w + noise
    peak = 10 ** (rng.uniform(-26, -1) / 20)
    w = w * (peak / (np.abs(w).max() + 1e-9))
    return w.astype(np.float32)


def fbank(w: np.ndarray) -> torch.Tensor:
    """80-bin Kaldi fbank exactly as sherpa-onnx computes it: samples in [-1, 1], dither 0,
    snip_edges false, low 20 Hz, high -400 (Nyquist - 400), povey window, preemph 0.97."""
    return torchaudio.compliance.kaldi.fbank(
        torch.from_numpy(w).unsqueeze(0), num_mel_bins=80, dither=0.0, snip_edges=False,
        low_freq=20.0, high_freq=-400.0, sample_frequency=SAMPLE_RATE)
