"""The command line: build (default), check, deploy. The only module that prints or exits."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .config import Config, load_config
from .deploy import deploy
from .errors import BuildFailed, SiteError, format_text, sort_problems
from .pipeline import BuildResult, build_site

COMMANDS = ("build", "check", "deploy")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Build the site from content/ and templates/ into _site/.",
        epilog="Commands: build (default), check (validate without writing), deploy (to gh-pages).",
    )
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
    return parser


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=".", help="project folder (default: current folder)")
    parser.add_argument("--config", default="site.yml", help="config file, relative to the root")
    parser.add_argument("--base-url", help="published URL, e.g. https://USER.github.io/REPO/")
    parser.add_argument("--output", help="output folder (default: _site)")
    parser.add_argument("--drafts", action="store_true", default=None, help="include drafts")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    noise.add_argument("-v", "--verbose", action="store_true", help="print each stage's details")


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; return the exit status (0 success, 1 build errors, 2 usage errors)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] not in (*COMMANDS, "-h", "--help"):
        args_list.insert(0, "build")
    args = make_parser().parse_args(args_list)
    if args.command is None:
        make_parser().print_help()
        return 0
    try:
        config = load_config(
            Path(args.root),
            args.config,
            base_url=args.base_url,
            output_dir=args.output,
            drafts=args.drafts,
        )
        return run(args, config, sys.stdout)
    except BuildFailed as failed:
        return report_failure(failed.errors, sys.stderr)
    except SiteError as error:
        return report_failure([error], sys.stderr)
    except OSError as exc:
        # The file system refused (disk full, no permission): the user's to fix, not a crash.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{where}error: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted; the previous output folder is unchanged.", file=sys.stderr)
        return 130


def run(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    result = build_site(config, write=args.command != "check", strict=args.strict)
    if not args.quiet:
        if result.warnings:
            print(format_text(sort_problems(result.warnings)) + "\n", file=sys.stderr)
        print(summary(result, config, args.command), file=out)
    if args.command == "deploy":
        deploy(
            config.output_dir,
            config.root,
            remote=args.remote,
            branch=args.branch,
            push=not args.no_push,
            cname=config.cname,
        )
        if not args.quiet:
            print(f"Published {config.output_dir.name}/ to the {args.branch} branch.", file=out)
    return 0


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


def report_failure(errors: Sequence[SiteError], err: TextIO) -> int:
    print(format_text(sort_problems(errors)), file=err)
    count = sum(1 for e in errors if e.severity == "error") or len(errors)
    print(f"\nBuild failed with {count} error(s); the output folder was not changed.", file=err)
    return 1
