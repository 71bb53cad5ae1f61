import multiprocessing

from qwenrag.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # parsing workers in a frozen (PyInstaller) build
    raise SystemExit(main())
