"""Train the sentencepiece BPE tokenizer of Parley's chat model (deterministic).

ChatML markers are control symbols; the tool tags and the newline are user-defined symbols
(always single tokens, as Parley's runtime splits them out before BPE); digits are split one
per token so numbers are copied digit by digit; unknown characters fall back to byte tokens.

Usage: python3 train_tokenizer.py [--vocab 1536] [--corpus work/corpus] [--out work/tokenizer]
Writes OUT.model and OUT.vocab.
"""
from __future__ import annotations

import argparse
import json
import os
import random

import sentencepiece as spm

from chatml import CONTROL, USER_DEFINED

# --split-space: word-start marker and double quote as pieces of their own: a word is then cut into the same
# pieces after a space as after a quote, so the model copies a timer label from the request into
# '"label": "..."' token by token. With them merged ('▁pasta' in a request, '"', 'p', 'ast', 'a'
# in the call) copying an unseen word meant re-spelling it, which the first models never learned:
# most of their argument errors were invented labels. Costs ~55 % more tokens per conversation;
# a first run learned slower (21.7 % held-out tool calls at step 2,965 against 41.7 % at 2,734
# with merged pieces), so it is not the default until a full run shows it helps.
SPLIT = ["\u2581", '"']
# --quote: only the double quote is a piece of its own. The runtime (like llama.cpp) splits the
# text at every user-defined piece and gives the next fragment the word-start marker, so a label
# after '"label": "' is cut exactly as it is after a space in the request ('▁pasta' in both), at
# a few more tokens per tool call and result; the decoder drops that marker again after a special
# piece, so the text round-trips.
QUOTE = ['"']

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", type=int, default=1536)
    ap.add_argument("--corpus", default=os.path.join(os.environ.get("PARLEY_LLM_WORK", os.path.join(HERE, "work")), "corpus"))
    ap.add_argument("--out", default=os.path.join(os.environ.get("PARLEY_LLM_WORK", os.path.join(HERE, "work")), "tokenizer"))
    ap.add_argument("--lines", type=int, default=200000)
    ap.add_argument("--split-space", action="store_true",
                    help="keep the word-start marker and the double quote as pieces of their own "
                         "(SPLIT below; experimental, not the shipped model's tokenizer)")
    ap.add_argument("--quote", action="store_true",
                    help="the double quote as a user-defined piece (QUOTE below)")
    args = ap.parse_args()
    with open(os.path.join(args.corpus, "spm_text.txt")) as f:
        lines = f.read().splitlines()
    rng = random.Random(7)
    rng.shuffle(lines)
    # The role names and the fixed system prompt occur in every conversation: give them weight.
    lines = lines[: args.lines] + ["system user assistant"] * 2000
    with open(os.path.join(HERE, "tools.json")) as f:
        lines += [json.load(f)["system_prompt"]] * 2000
    sample = os.path.join(args.corpus, "spm_sample.txt")
    with open(sample, "w") as f:
        f.write("\n".join(lines) + "\n")
    spm.SentencePieceTrainer.train(
        input=sample, model_prefix=args.out, model_type="bpe", vocab_size=args.vocab,
        character_coverage=1.0, byte_fallback=True, split_digits=True,
        control_symbols=CONTROL, user_defined_symbols=USER_DEFINED + (SPLIT if args.split_space else QUOTE if args.quote else []),
        normalization_rule_name="identity", remove_extra_whitespaces=False, add_dummy_prefix=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, num_threads=1, input_sentence_size=0,
        shuffle_input_sentence=False, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=args.out + ".model")
    print(f"vocab {sp.get_piece_size()}; ids:",
          {s: sp.piece_to_id(s) for s in CONTROL + USER_DEFINED})


if __name__ == "__main__":
    main()
