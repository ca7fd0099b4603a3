"""site_src: a fast, strict static microsite generator.

The core (`content.parse_page`, `markdown`, `links`, `render`, `artifacts`) does no I/O and reads
no globals. A build reads project files only in `sources` (site.yml in `config`, the cache file in
`cache`) and writes only in `output` (and the cache file); only `cli` prints or exits. The stages
are in `pipeline.build_site`; ARCHITECTURE.md maps them and every output file.
"""

__version__ = "0.1.0"

from .config import Config, load_config
from .errors import BuildFailed, SiteError
from .pipeline import BuildResult, build_site

__all__ = ["BuildFailed", "BuildResult", "Config", "SiteError", "build_site", "load_config"]
