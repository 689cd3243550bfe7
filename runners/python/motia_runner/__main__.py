"""``python -m motia_runner``."""

from motia_runner.main import main

if __name__ == "__main__":
    main()
