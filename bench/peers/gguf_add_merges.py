"""Copies a GGUF adding tokenizer.ggml.merges derived from a model folder's tokenizer.json (the merges its
two-character tokens imply, as gguf_convert.py writes them), for GGUF files converted before gguf_convert.py wrote
merges: llama.cpp refuses a BPE vocabulary without them. Tensors are copied unchanged (gguf's own
gguf_new_metadata copy). usage (inside the sid chroot): python3 gguf_add_merges.py MANTIS_DIR IN.gguf OUT.gguf"""
import json, pathlib, sys

import gguf
from gguf.scripts.gguf_new_metadata import MetadataDetails, copy_with_new_metadata

src, inp, out = sys.argv[1:4]
vocab = json.loads((pathlib.Path(src) / "tokenizer.json").read_text())["model"]["vocab"]
merges = [f"{t[0]} {t[1:]}" for t in sorted(vocab, key=vocab.get) if len(t) == 2 and t[0] in vocab and t[1:] in vocab]
reader = gguf.GGUFReader(inp, "r")
if gguf.Keys.Tokenizer.MERGES in reader.fields:
    sys.exit(f"{inp} already has merges")
arch = reader.get_field(gguf.Keys.General.ARCHITECTURE).contents()
writer = gguf.GGUFWriter(out, arch=arch, endianess=reader.endianess)
copy_with_new_metadata(reader, writer, {gguf.Keys.Tokenizer.MERGES: MetadataDetails(gguf.GGUFValueType.ARRAY, merges, sub_type=gguf.GGUFValueType.STRING)}, [])
print(f"{out}: {len(merges)} merges added")
