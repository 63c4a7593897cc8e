"""Runs llama.cpp's own convert_hf_to_gguf.py (Debian's llama.cpp-tools) on a Mantis folder
(LlavaForConditionalGeneration: the converter takes its text_config and skips the vision tower and projector
itself, so the GGUF holds exactly the language model our engine decodes with), with one adaptation: the
random-weight checkpoint of `mantis make-checkpoint` ships a byte-level tokenizer without merges whose
pre-tokenizer is Llama-3's regex, so the converter's hash of its token ids matches no known model; it is
declared "llama-bpe" (Llama-3's pre-tokenizer, which is what the regex is), and since llama.cpp refuses a BPE vocabulary
without merges, the merges its two-character tokens imply ("a b" for each token "ab" whose halves are tokens) are
written. Neither changes a weight; llama-bench never tokenizes text.
usage (inside the sid chroot): python3 gguf_convert.py MANTIS_DIR --outtype bf16 --outfile OUT.gguf"""
import runpy, sys

script = "/usr/share/doc/llama.cpp-tools/scripts/convert_hf_to_gguf.py"
sys.path.insert(1, "/usr/share/llama.cpp/llama.cpp-tools")
from conversion import base  # noqa: E402  (the converter imports the same module object)

base.TextModel.get_vocab_base_pre = lambda self, tokenizer: "llama-bpe"

_add_to_gguf = base.gguf.SpecialVocab.add_to_gguf


def add_to_gguf(self, gw, *args, **kwargs):
    if self.load_merges and not self.merges:
        import json, pathlib
        vocab = json.loads((pathlib.Path(sys.argv[1]) / "tokenizer.json").read_text())["model"]["vocab"]
        self.merges = [f"{t[0]} {t[1:]}" for t in sorted(vocab, key=vocab.get) if len(t) == 2 and t[0] in vocab and t[1:] in vocab]
    return _add_to_gguf(self, gw, *args, **kwargs)


base.gguf.SpecialVocab.add_to_gguf = add_to_gguf
sys.argv = [script] + sys.argv[1:]
runpy.run_path(script, run_name="__main__")
