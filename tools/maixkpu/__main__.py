"""`python -m maixkpu ...` runs the CLI."""
import sys

from maixkpu.cli import main

sys.exit(main())
