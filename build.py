"""Build the site: a thin wrapper over ``site_src.cli`` (try ``python build.py --help``)."""

from site_src.cli import main

# Guarded: worker processes started by forkserver or spawn import this file again as a module.
if __name__ == "__main__":
    raise SystemExit(main())
