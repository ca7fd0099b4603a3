"""site_src: a fast, strict static microsite generator.

The core (`content.parse_page`, `markdown`, `links`, `render`) does no I/O and reads no globals;
files are read in `content` and `output`, and only `cli` prints or exits.
"""

__version__ = "0.1.0"

from .config import Config, load_config
from .errors import BuildFailed, SiteError
from .pipeline import BuildResult, build_site

__all__ = ["BuildFailed", "BuildResult", "Config", "SiteError", "build_site", "load_config"]
