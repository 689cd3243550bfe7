"""``python -m motia_runner``."""

import platform
import sys

if sys.version_info < (3, 10):  # noqa: UP036 (the project's interpreter may be anything)
    sys.stderr.write(
        f"motia python runner: Python steps need Python 3.10 or newer; {sys.executable} is Python "
        f"{platform.python_version()}\n"
    )
    sys.exit(3)

from motia_runner.bundled_protobuf import ensure_protobuf
from motia_runner.main import main

if __name__ == "__main__":
    ensure_protobuf()
    main()
