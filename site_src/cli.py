"""The command line: build (default), check, deploy, serve, new, init, cache-key. The only
module that prints or exits."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from . import __version__
from .cache import engine_digest
from .config import Config, absolute_base_problem, load_config
from .deploy import deploy
from .errors import BuildFailed, SiteError, format_text, sort_problems
from .init import create_project
from .output import Published
from .pipeline import BuildResult, build_site
from .scaffold import create_page, plan_page
from .terminal import (
    Progress,
    actions_annotations,
    format_problems,
    json_report,
    under_github_actions,
    wants_colour,
)

if TYPE_CHECKING:
    from .serve import Event

COMMANDS = ("build", "check", "deploy", "serve", "new", "init", "cache-key")


def program_name(argv0: str) -> str:
    """How the user ran us, for usage lines: site-src, python -m site_src or build.py."""
    name = os.path.basename(argv0)
    if name == "__main__.py":
        return "python -m site_src"
    return name if name in ("build.py", "site-src") else "site-src"


class FullHelp(argparse.Action):
    """`--help` before any command: every command with all its options, on one page."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kwargs: object) -> None:
        print(full_help(parser))
        parser.exit()


def full_help(parser: argparse.ArgumentParser) -> str:
    parts = [parser.format_help()]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                parts.append(sub.format_help())
    return "\n".join(parts).rstrip("\n")


class WholeWords(argparse.HelpFormatter):
    """Wraps help text between words only: `site-src` split at its hyphen reads as two words
    and cannot be copied from the terminal."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        text = " ".join(text.split())
        return textwrap.wrap(text, width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        text = " ".join(text.split())
        return textwrap.fill(
            text, width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
        )


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose commands' help wraps like its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", WholeWords)
        super().__init__(*args, **kwargs)


def make_parser(prog: str = "site-src") -> argparse.ArgumentParser:
    parser = Parser(
        prog=prog,
        description="Build the site from content/ and templates/ into _site/.",
        epilog=(
            "Commands: build (default), check (validate without writing), deploy (to gh-pages), "
            "serve (live preview), new (start a page), init (start a site), "
            "cache-key (key a CI cache of the build cache). "
            f"Each command's options follow; `{prog} COMMAND --help` shows one command."
        ),
        add_help=False,
    )
    parser.add_argument("-h", "--help", action=FullHelp, nargs=0, help="show this help and exit")
    _version_option(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in (
        ("build", "build the site into the output folder (the default)"),
        ("check", "validate everything, write nothing"),
        ("deploy", "build, then publish the output folder to a gh-pages branch and push it"),
    ):
        sub = commands.add_parser(name, help=text, description=text)
        _common_options(sub)
        if name == "deploy":
            sub.add_argument("--remote", default="origin", help="git remote to push to")
            sub.add_argument("--branch", default="gh-pages", help="branch to publish to")
            sub.add_argument("--no-push", action="store_true", help="commit the branch only")
    serve = commands.add_parser(
        "serve",
        help="preview the site with live reload while you edit",
        description="Build into a private folder, serve it, rebuild and reload on every save.",
    )
    _common_options(serve)
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=port_number, default=8000, help="port (default: 8000, or the next free one)"
    )
    serve.add_argument("--open", action="store_true", help="open the site in a browser")
    new = commands.add_parser(
        "new", help="start a new page", description="Create content/<slug>.md with front matter."
    )
    _common_options(new)
    new.add_argument("title", help='the page title, e.g. "Panel: AI infrastructure"')
    new.add_argument("--name", help="path under the content folder, without .md (e.g. guide/setup)")
    init = commands.add_parser(
        "init",
        help="start a new site in a folder",
        description="Create a project that builds at once: pages, site.yml, a GitHub Pages "
        "workflow and a README. Refuses a folder that is not empty, unless --force.",
    )
    _version_option(init)
    init.add_argument("folder", help="the new project's folder (created if missing)")
    init.add_argument("--title", help="the site's title (default: from the folder's name)")
    init.add_argument(
        "--force", action="store_true", help="write into a non-empty folder (same names replaced)"
    )
    _format_option(init)
    commands.add_parser(
        "cache-key",
        help="print the engine's digest, to key a CI cache of the build cache",
        description="Print the digest of the engine's code and libraries: a build cache made "
        "by another digest is never used, so a CI cache keyed by it is restored only where it "
        "helps (see the GitHub Pages workflow that init writes).",
    )
    return parser


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="how to report problems: text, or one JSON document on stdout (default: text)",
    )


def _version_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--version", action="version", version=f"site_src {__version__}", help="print the version"
    )


def _common_options(parser: argparse.ArgumentParser) -> None:
    _version_option(parser)
    parser.add_argument("--root", default=".", help="project folder (default: current folder)")
    parser.add_argument("--config", default="site.yml", help="config file, relative to the root")
    parser.add_argument("--base-url", help="published URL, e.g. https://USER.github.io/REPO/")
    parser.add_argument("--output", help="output folder (default: _site)")
    parser.add_argument("--drafts", action="store_true", default=None, help="include drafts")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    noise.add_argument("-v", "--verbose", action="store_true", help="print each stage's details")
    _format_option(parser)


def port_number(text: str) -> int:
    """A TCP port for --port: 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; return the exit status (0 success, 1 build errors, 2 usage errors)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] not in (*COMMANDS, "-h", "--help"):
        args_list.insert(0, "build")
    parser = make_parser(program_name(sys.argv[0]))
    args = parser.parse_args(args_list)
    if args.command is None:
        print(full_help(parser))
        return 0
    root = Path(getattr(args, "root", "."))
    try:
        if args.command == "init":
            return run_init(args, sys.stdout)
        if args.command == "cache-key":
            print(engine_digest())
            return 0
        config = load_config(
            Path(args.root),
            args.config,
            base_url=args.base_url,
            output_dir=args.output,
            drafts=args.drafts,
        )
        return run(args, config, sys.stdout)
    except BuildFailed as failed:
        return report_failure(failed.errors, args, root)
    except SiteError as error:
        return report_failure([error], args, root)
    except OSError as exc:
        # The file system refused (disk full, no permission): the user's to fix, not a crash.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{where}error: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except Published as stopped:
        print(
            f"\nInterrupted after the new site was put in {stopped.out_dir.name}/ "
            "(the next build removes any copy of the old one).",
            file=sys.stderr,
        )
        return 130
    except KeyboardInterrupt:
        print("\nInterrupted; the previous output folder is unchanged.", file=sys.stderr)
        return 130


def run(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    if args.command == "serve":
        return run_serve(args, config, out)
    if args.command == "new":
        return run_new(args, config, out)
    refusal = absolute_base_problem(config, deploying=True) if args.command == "deploy" else None
    if refusal is not None:
        raise refusal
    with Progress(sys.stderr, enabled=not args.quiet and args.format == "text"):
        result = build_site(config, write=args.command != "check", strict=args.strict)
    if args.format == "json":
        print(json_report(sort_problems(result.warnings), True, config.root, Path.cwd()), file=out)
    elif under_github_actions(os.environ) and result.warnings:
        print(actions_annotations(sort_problems(result.warnings), config.root, Path.cwd()))
    if not args.quiet and args.format == "text":
        if result.warnings:
            colour = wants_colour(sys.stderr, os.environ)
            print(format_problems(sort_problems(result.warnings), colour) + "\n", file=sys.stderr)
        if args.verbose:
            print(details(result, config), file=out)
        print(summary(result, config, args.command), file=out)
    if args.command == "deploy":
        return run_deploy(args, config, out)
    return 0


def run_deploy(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    """Publish the folder the build just replaced; from here on, failures must say it was."""
    built = f"the new site is in {config.output_dir.name}/"
    try:
        deploy(
            config.output_dir,
            config.root,
            remote=args.remote,
            branch=args.branch,
            push=not args.no_push,
            cname=config.cname,
        )
    except SiteError as error:
        print(format_text([error]), file=sys.stderr)
        print(f"\nDeploy failed; {built}, but it was not published.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nInterrupted; {built}, but it may not have been published.", file=sys.stderr)
        return 130
    if not args.quiet:
        print(f"Published {config.output_dir.name}/ to the {args.branch} branch.", file=out)
    return 0


def run_serve(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    """Serve until Ctrl-C; reload the config on every rebuild with the same overrides."""

    def load() -> Config:
        return load_config(
            Path(args.root),
            args.config,
            base_url=args.base_url,
            output_dir=args.output,
            drafts=args.drafts,
        )

    from .serve import ServeOptions, serve  # the dev server's libraries load only for serve

    options = ServeOptions(args.host, args.port, args.open)
    serve(load, options, lambda event: print_serve_event(event, config, args.quiet, out))
    print("\nStopped.", file=out)
    return 0


def print_serve_event(event: Event, config: Config, quiet: bool, out: TextIO) -> None:
    from .serve import Indexed, Listening

    """The dev server's terminal output: where it listens, each rebuild, every error in full."""
    if isinstance(event, Listening):
        if event.port != event.requested_port and event.requested_port:
            print(
                f"Port {event.requested_port} is in use; using port {event.port} instead.", file=out
            )
        print(f"Serving {config.title!r} at {event.url} (Ctrl-C to stop).", file=out, flush=True)
        return
    if isinstance(event, Indexed):
        if event.problem is not None:
            print(format_text([event.problem]), file=sys.stderr, flush=True)
        elif not quiet:
            done = f"Indexed {event.pages} pages for search in {event.seconds * 1000:.0f} ms"
            print(done, file=out, flush=True)
        return
    if event.crash:
        print(event.crash, file=sys.stderr)
    if event.errors:
        print(format_text(event.errors), file=sys.stderr)
        shown = (
            "still serving the last good site"
            if event.serving_older
            else "no site has built yet: the browser shows these errors until they are fixed"
        )
        print(
            f"Build failed; {shown}. ({event.seconds * 1000:.0f} ms)", file=sys.stderr, flush=True
        )
        return
    if event.broken_links:
        print(format_text(event.broken_links), file=sys.stderr)
        count = len(event.broken_links)
        print(
            f"Serving the new site with {count} broken link{'s' if count != 1 else ''} "
            "(a plain build fails on them unless site.yml says broken_links: warn).",
            file=sys.stderr,
            flush=True,
        )
    if not quiet:
        for warning in event.warnings:
            print(format_text([warning]), file=sys.stderr)
        what = (
            ", ".join(sorted(relative_to(p, config.root) for p in event.changed)) or "first build"
        )
        print(f"Rebuilt in {event.seconds * 1000:.0f} ms: {what}", file=out, flush=True)


def relative_to(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def run_init(args: argparse.Namespace, out: TextIO) -> int:
    folder = Path(args.folder)
    create_project(folder, force=args.force, title=args.title)
    if args.format == "json":
        print(json_report([], True, folder, Path.cwd()), file=out)
        return 0
    prog = program_name(sys.argv[0])
    print(
        f"Created a new site in {folder}/. Next:\n"
        f"  cd {folder}\n"
        f"  {prog} serve      # preview at http://127.0.0.1:8000/ while you edit\n"
        f"  {prog} build      # write the site into _site/\n"
        "Its README.md says how to publish it on GitHub Pages.",
        file=out,
    )
    return 0


def run_new(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    page = plan_page(config, args.title, args.name)
    created = create_page(page, config.root)
    print(f"Created {created}: edit its description and text, then build or serve.", file=out)
    return 0


def details(result: BuildResult, config: Config) -> str:
    """What --verbose adds: where the site goes, and what this build rendered and changed."""
    lines = [f"Base URL: {config.base_url} (links start with {config.base_path})"]
    if result.output_dir is not None:
        lines.append(f"Output folder: {result.output_dir}")
    if result.cache_note:
        lines.append(result.cache_note)
    lines.append(
        f"Rendered {len(result.rendered)} of {result.pages} pages (the rest from the cache)."
    )
    lines += [f"  rendered {source}" for source in result.rendered]
    lines.append(f"{len(result.changed)} output file(s) changed.")
    lines += [f"  changed {path}" for path in result.changed]
    return "\n".join(lines)


def summary(result: BuildResult, config: Config, command: str) -> str:
    """The one line a build ends with."""
    warnings = f", {len(result.warnings)} warning(s)" if result.warnings else ""
    if command == "check":
        return f"Checked {result.pages} pages and {result.assets} assets: no errors{warnings}."
    where = config.output_dir.name
    return (
        f"Built {result.pages} pages, {result.assets} assets ({result.files} files) "
        f"into {where}/ in {result.seconds:.2f} s{warnings}."
    )


def report_failure(errors: Sequence[SiteError], args: argparse.Namespace, root: Path) -> int:
    """Every problem, as text (coloured on a terminal) or JSON, plus Actions annotations in CI."""
    problems, command, err = sort_problems(errors), args.command, sys.stderr
    if getattr(args, "format", "text") == "json":
        print(json_report(problems, False, root.resolve(), Path.cwd()))
        return 1
    if under_github_actions(os.environ):
        print(actions_annotations(problems, root.resolve(), Path.cwd()), flush=True)
    print(format_problems(problems, wants_colour(err, os.environ)), file=err)
    count = sum(1 for e in errors if e.severity == "error") or len(errors)
    if command in ("build", "deploy"):
        closing = "Build failed with {} error(s); the output folder was not changed."
    elif command == "check":
        closing = "Check found {} error(s); nothing was written."
    else:
        closing = "'" + command + "' stopped with {} error(s)."
    print("\n" + closing.format(count), file=err)
    return 1
