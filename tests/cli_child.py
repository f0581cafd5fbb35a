"""Run `kcolor` in a child process and learn whether it imported TensorFlow: the checks that
must refuse bad arguments before the slow import are tested with it."""

import os
import subprocess
import sys

# The CLI in a child process; it reports whether TensorFlow was imported before the command ended,
# so a bad argument is shown to be refused before the slow import.
_RUN_CLI = (
    "import sys; from kcolor.cli.main import main\n"
    "try:\n    main(sys.argv[1:], prog_name='kcolor')\n"
    "except SystemExit as done:\n    code = done.code\n"
    "print('TENSORFLOW_LOADED' if 'tensorflow' in sys.modules else 'NO_TENSORFLOW')\n"
    "sys.exit(code)\n"
)


def run_cli(*args, cwd=None):
    done = subprocess.run(
        [sys.executable, "-c", _RUN_CLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, "KCOLOR_QUIET": "1"},
    )
    return done.returncode, done.stdout + done.stderr
