#!/usr/bin/python3
"""Regenerates the filterbank goldens in tests/asr/golden/ from torchaudio.compliance.kaldi.fbank.

The reference options are those sherpa-onnx hands kaldi-native-fbank (see asr/fbank.h): 16 kHz,
80 mel bins, 25 ms / 10 ms, povey window, dither 0, snip_edges False, DC removal, pre-emphasis
0.97, low 20 Hz, high -400 Hz (nyquist - 400), power spectrum, log. Samples are float in [-1, 1].

Each case is stored as two raw little-endian files:
  <name>.i16        int16 input samples (the signal is int16 / 32768, so the C++ test sees exactly
                    the floats torchaudio saw)
  <name>.fbank.f32  float32 features (computed in float64, rounded once), frames x 80, row-major
and one line in manifest.txt: `<name> <sample_count> <frame_count> <mel_bin_count>`.

Usage: /usr/bin/python3 tests/asr/make_fbank_golden.py [--testdata /work/shared/testdata]
Needs Debian's python3-torchaudio and python3-numpy.
"""
import argparse
import os
import wave

import numpy as np
import torch
import torchaudio

MEL_BINS = 80


def fbank(samples_int16):
    # float64 end to end: the golden is Kaldi's answer without float32 rounding, which moves
    # log energies just above the FLT_EPSILON floor by up to ~0.015 (chirp_1s, late frames).
    waveform = torch.from_numpy(samples_int16.astype(np.float64) / 32768.0).unsqueeze(0)
    features = torchaudio.compliance.kaldi.fbank(
        waveform,
        sample_frequency=16000.0,
        num_mel_bins=MEL_BINS,
        frame_length=25.0,
        frame_shift=10.0,
        dither=0.0,
        energy_floor=0.0,
        preemphasis_coefficient=0.97,
        remove_dc_offset=True,
        round_to_power_of_two=True,
        window_type="povey",
        low_freq=20.0,
        high_freq=-400.0,
        snip_edges=False,
        use_energy=False,
        use_log_fbank=True,
        use_power=True,
    )
    return features.numpy().astype("<f4")  # rounded once, at the end


def read_wav_int16(path):
    with wave.open(path, "rb") as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1 or wav.getframerate() != 16000:
            raise SystemExit(f"{path}: expected 16 kHz mono 16-bit PCM")
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")


def chirp_int16(seconds=1.0, rate=16000):
    # Linear chirp 100 Hz -> 7900 Hz at -6 dBFS over a little deterministic noise: every mel bin
    # sees energy somewhere, and no frame is digital silence.
    t = np.arange(int(seconds * rate)) / rate
    f0, f1 = 100.0, 7900.0
    phase = 2 * np.pi * (f0 * t + 0.5 * (f1 - f0) / seconds * t * t)
    noise = np.random.default_rng(7).standard_normal(t.size) * 0.001
    signal = 0.5 * np.sin(phase) + noise
    return np.clip(np.round(signal * 32768), -32768, 32767).astype("<i2")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--testdata", default=os.path.join(here, "..", "..", "..", "shared", "testdata"))
    parser.add_argument("--out", default=os.path.join(here, "golden"))
    args = parser.parse_args()

    cases = {
        # First 2 s of the shared espeak sentence (speech, pauses, quantisation noise).
        "espeak_2s": read_wav_int16(os.path.join(args.testdata, "audio", "espeak_en_16k.wav"))[:32000],
        "chirp_1s": chirp_int16(),
        # 450 samples: three frames, the first mirrored at the start, the last at the end.
        "noise_450": np.round(np.random.default_rng(11).standard_normal(450) * 3000).astype("<i2"),
    }
    os.makedirs(args.out, exist_ok=True)
    lines = []
    for name, samples in cases.items():
        features = fbank(samples)
        samples.astype("<i2").tofile(os.path.join(args.out, f"{name}.i16"))
        features.tofile(os.path.join(args.out, f"{name}.fbank.f32"))
        lines.append(f"{name} {samples.size} {features.shape[0]} {features.shape[1]}")
        print(lines[-1])
    with open(os.path.join(args.out, "manifest.txt"), "w") as manifest:
        manifest.write("# name sample_count frame_count mel_bin_count "
                       f"(torchaudio {torchaudio.__version__}, tests/asr/make_fbank_golden.py)\n")
        manifest.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
