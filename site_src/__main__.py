"""`python -m site_src` runs the command line."""

from .cli import main

raise SystemExit(main())
