"""``python -m recognizer``: read handwritten digits live; see `recognizer.cli` for the options."""
import sys

from recognizer.cli import main

if __name__ == "__main__":
    sys.exit(main())
