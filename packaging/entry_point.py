"""The frozen executable's entry script (PyInstaller runs this as __main__).

freeze_support() must come first and before heavy imports: the library parses files in *spawned* worker
processes, and in a frozen build a spawned worker is this same executable started with
`--multiprocessing-fork`; PyInstaller's runtime hook makes freeze_support() divert such a start into the
worker (on every OS, not just Windows) so it never reaches the command line or the window.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    args = sys.argv[1:]
    if args[:1] == ["--self-test"]:
        # Dispatched here as well as in qwenrag.cli, so the build's own check never depends on that wiring.
        from qwenrag import selftest

        raise SystemExit(selftest.main(args[1:]))
    from qwenrag.cli import main

    raise SystemExit(main(args))
