"""Extracts the Llama-3 language model of a Mantis (LlavaForConditionalGeneration) folder into a plain Hugging Face
LlamaForCausalLM folder (config.json from text_config, tensors renamed language_model.model.* -> model.*,
language_model.lm_head.* -> lm_head.*, bytes unchanged, one output file per input shard; tokenizer files copied), so
llama.cpp's convert_hf_to_gguf.py converts the same weights our engine runs.
usage (inside the sid chroot): python3 llama_gguf_from_mantis.py MANTIS_DIR OUT_DIR"""
import json, os, shutil, sys
from safetensors import safe_open
from safetensors.torch import save_file

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
cfg = json.load(open(os.path.join(src, "config.json")))
text = dict(cfg["text_config"])
text.update({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "torch_dtype": "bfloat16"})
json.dump(text, open(os.path.join(out, "config.json"), "w"), indent=2)
index_path = os.path.join(src, "model.safetensors.index.json")
shards = sorted(set(json.load(open(index_path))["weight_map"].values())) if os.path.exists(index_path) else ["model.safetensors"]
weight_map = {}
for shard in shards:
    tensors = {}
    with safe_open(os.path.join(src, shard), "pt") as f:
        for name in f.keys():
            for old, new in (("language_model.model.", "model."), ("language_model.lm_head.", "lm_head.")):
                if name.startswith(old):
                    tensors[new + name[len(old):]] = f.get_tensor(name)
    if tensors:
        save_file(tensors, os.path.join(out, shard), metadata={"format": "pt"})
        weight_map.update({n: shard for n in tensors})
json.dump({"metadata": {}, "weight_map": weight_map}, open(os.path.join(out, "model.safetensors.index.json"), "w"))
for name in ("tokenizer.json", "tokenizer_config.json", "generation_config.json"):
    if os.path.exists(os.path.join(src, name)):
        shutil.copy(os.path.join(src, name), out)
print(f"{len(weight_map)} tensors -> {out}")
