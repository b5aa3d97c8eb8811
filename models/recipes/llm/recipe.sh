#!/bin/sh
# Parley's default chat model, end to end: corpus -> tokenizer -> training (CPU, resumable) ->
# Hugging Face folder -> GGUF via `parley convert` / `parley quantize` -> held-out evaluation
# through `parley pipe` -> ship to models/llm/.
#
#   models/recipes/llm/recipe.sh                 # everything (training resumes from work/ckpt.pt)
#   PARLEY=build/assistant/parley STEPS=900 models/recipes/llm/recipe.sh
#   WORK=/tmp/llm-work models/recipes/llm/recipe.sh   # another work folder (default: ./work)
#   SHIP=0 models/recipes/llm/recipe.sh          # build and evaluate, but do not copy to models/llm
#   SHIP=always models/recipes/llm/recipe.sh     # ship even below issue 9's targets
#
# Needs Debian's python3-torch and python3-sentencepiece (/usr/bin/python3), fortunes-min and
# wordnet (text for general English), and a built `parley`. Deterministic: fixed seeds; batch s
# of training depends only on the seed and s.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
PY=/usr/bin/python3
PARLEY=${PARLEY:-$ROOT/build/assistant/parley}
STEPS=${STEPS:-10000}
SHIP=${SHIP:-1}
W=${WORK:-$HERE/work}
export PARLEY_LLM_WORK="$W"  # every script below reads and writes there
cd "$HERE"
mkdir -p "$W"

[ -f "$W/corpus/train.jsonl" ] || nice -n 15 $PY gen_corpus.py --train 120000
# TOKENIZER_ARGS: default --quote (the double quote a piece of its own, shipped since 2026-12-07 evening);
# "--split-space" is the experimental tokenizer of MODEL_CARD's "Metrics", "" the merged one before.
[ -f "$W/tokenizer.model" ] || nice -n 15 $PY train_tokenizer.py ${TOKENIZER_ARGS---quote}
nice -n 15 $PY train.py --model small --rows 120000 --steps "$STEPS" --batch 8 --warmup 200 \
  --ckpt "$W/ckpt.pt"
nice -n 15 $PY export.py --ckpt "$W/ckpt.pt" --out "$W/hf" --ref-dir "$W/reference"

"$PARLEY" convert "$W/hf" -o "$W/parley-chat-f16.gguf" --type f16
"$PARLEY" quantize "$W/parley-chat-f16.gguf" "$W/parley-chat-q8_0.gguf" Q8_0
"$PARLEY" quantize "$W/parley-chat-f16.gguf" "$W/parley-chat-q4_k_m.gguf" Q4_K_M
nice -n 15 $PY eval_gguf.py --parley "$PARLEY" --json "$W/eval_gguf.json" --show 5 \
  "$W/parley-chat-f16.gguf" "$W/parley-chat-q8_0.gguf" "$W/parley-chat-q4_k_m.gguf"
# The second held-out set (heldout2.py: phrasings written with the grammars, never tuned on).
[ -f "$W/corpus/test2.jsonl" ] || $PY heldout2.py
nice -n 15 $PY eval_gguf.py --parley "$PARLEY" --json "$W/eval_gguf2.json" --show 5 --items test2.jsonl \
  "$W/parley-chat-q8_0.gguf"
# Both sets again as the assistant decodes: tool calls under their grammar (tools.constrain_calls).
nice -n 15 $PY eval_gguf.py --parley "$PARLEY" --json "$W/eval_grammar.json" --grammar "$W/parley-chat-q8_0.gguf"
nice -n 15 $PY eval_gguf.py --parley "$PARLEY" --json "$W/eval_grammar2.json" --grammar --items test2.jsonl \
  "$W/parley-chat-q8_0.gguf"

# eval.json: the Q8_0 file's held-out scores (what tests/llm/default_model_heldout_test.cc
# expects the runtime to reproduce), whether they meet issue 9's targets, and the other files'.
$PY - "$W" <<'PYEOF'
import json, sys
w = sys.argv[1]
r = json.load(open(f"{w}/eval_gguf.json"))
q = dict(r[f"{w}/parley-chat-q8_0.gguf"])
q.pop("seconds", None)
q["meets_target"] = q["tool_accuracy"] >= 0.95 and q["greeting_accuracy"] >= 0.8 and q["capability_accuracy"] >= 0.8
q["f16_tool_accuracy"] = r[f"{w}/parley-chat-f16.gguf"]["tool_accuracy"]
q["q4_k_m_tool_accuracy"] = r[f"{w}/parley-chat-q4_k_m.gguf"]["tool_accuracy"]
r2 = json.load(open(f"{w}/eval_gguf2.json"))[f"{w}/parley-chat-q8_0.gguf"]
q["heldout2_tool_accuracy"], q["heldout2_tool_n"] = r2["tool_accuracy"], r2["tool_n"]
q["grammar_tool_accuracy"] = json.load(open(f"{w}/eval_grammar.json"))[f"{w}/parley-chat-q8_0.gguf"]["tool_accuracy"]
q["grammar_heldout2_tool_accuracy"] = json.load(open(f"{w}/eval_grammar2.json"))[f"{w}/parley-chat-q8_0.gguf"]["tool_accuracy"]
json.dump(q, open(f"{w}/eval.json", "w"), indent=2, sort_keys=True)
print("eval.json:", json.dumps(q, sort_keys=True))
PYEOF
MET=$($PY -c "import json; print(int(json.load(open('$W/eval.json'))['meets_target']))")
OUT="$ROOT/models/llm"
# SHIP=1 ships when the Q8_0 file meets the targets; SHIP=always ships regardless (the model card
# then says how far it is from them); SHIP=0 never: models/llm/ is left as it is.
if [ "$SHIP" = always ] || { [ "$SHIP" = 1 ] && [ "$MET" = 1 ]; }; then
  mkdir -p "$OUT/hf"
  cp "$W/hf/config.json" "$W/hf/generation_config.json" "$W/hf/model.safetensors" \
     "$W/hf/tokenizer.model" "$W/hf/tokenizer_config.json" "$W/hf/special_tokens_map.json" "$OUT/hf/"
  cp "$W/reference/reference.txt" "$W/reference/reference_logits.f32" "$OUT/"
  cp "$W/corpus/test.jsonl" "$OUT/heldout.jsonl"
  cp "$W/corpus/test2.jsonl" "$OUT/heldout2.jsonl"
  cp "$W/parley-chat-q8_0.gguf" "$OUT/parley-chat.gguf"
  cp "$W/eval.json" "$OUT/eval.json"
  "$ROOT/scripts/update_manifest.py"
  echo "shipped $OUT/parley-chat.gguf (targets met: $MET); rebuild parley to embed the manifest"
else
  echo "not shipped (SHIP=$SHIP, targets met: $MET): see $W/eval.json; models/llm/ unchanged"
fi
