"""Build the site: a thin wrapper over ``site_src.cli`` (try ``python build.py --help``)."""

from site_src.cli import main

raise SystemExit(main())
