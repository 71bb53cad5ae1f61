"""Errors of the answering side (model, engine, pipeline), under the project's one exception tree.

llama.cpp and OS exceptions are translated where they happen (`raise ModelError(...) from exc`), so the
window and the command line only catch `QwenragError`.
"""

from __future__ import annotations

from indexing.errors import QwenragError

__all__ = [
    "EngineError", "GenerationCancelled", "ModelError", "NoModelError", "PromptTooLong", "QwenragError",
    "SettingsError",
]


class ModelError(QwenragError):
    """A model file cannot be used: missing, not GGUF, truncated, no chat template, too big for memory,
    or llama.cpp refused it. `message` is a sentence for a person; `detail` is the technical cause."""

    def __init__(self, message: str, detail: str = "", *, path: str | None = None) -> None:
        self.message = message
        self.detail = detail
        self.path = path
        super().__init__(f"{message} ({detail})" if detail else message)


class NoModelError(ModelError):
    """No model was chosen and none was found; the message says which file to get and where to put it."""


class EngineError(QwenragError):
    """The engine failed while running (it was closed, or llama.cpp failed mid-generation)."""


class PromptTooLong(EngineError):
    """The prompt alone does not fit the context window (the prompt builder prevents this)."""


class GenerationCancelled(EngineError):
    """Raised to a waiting caller when its generation was cancelled from another thread."""


class SettingsError(QwenragError):
    """The settings file cannot be written (reading never fails: defaults are used)."""
