"""``python -m bgremover`` runs the CLI."""

import sys

from bgremover.cli import main

sys.exit(main())
