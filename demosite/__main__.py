"""Command line: `python -m demosite generate DIR`, `... serve DIR` and `... demo`.

Each subcommand is one `add_parser` call plus a `run` function set as its default, so a
new one slots in beside them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from demosite.demo import PORT, run_demo
from demosite.generate import generate_site
from demosite.server import serve


def _aware_datetime(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset, e.g. {text}+00:00")
    return moment


def _site_directory(text: str) -> Path:
    path = Path(text)
    if not (path / "index.html").is_file():
        raise argparse.ArgumentTypeError(f"{text!r} holds no site; run `generate {text}` first")
    return path


def _run_generate(args: argparse.Namespace) -> int:
    try:
        manifest = generate_site(
            args.dir, articles=args.articles, now=args.now, seed=args.seed, heavy=args.heavy
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(manifest)} articles to {args.dir}")
    return 0


def _run_serve(args: argparse.Namespace) -> int:
    serve(args.dir, port=args.port, delay=args.delay, log=args.log)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m demosite", description="The bundled demo news site."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write the site and its manifest.json")
    generate.add_argument("dir", type=Path)
    generate.add_argument("--articles", type=int, default=240)
    generate.add_argument(
        "--now", type=_aware_datetime, help="ISO 8601 with offset (default: current time)"
    )
    generate.add_argument("--seed", type=int, default=1)
    generate.add_argument(
        "--heavy", action="store_true", help="30-80 KB pages with menus, widgets and scripts"
    )
    generate.set_defaults(run=_run_generate)

    serve_command = commands.add_parser("serve", help="serve a generated site on 127.0.0.1")
    serve_command.add_argument("dir", type=_site_directory)
    serve_command.add_argument("--port", type=int, default=PORT, help="0 picks a free port")
    serve_command.add_argument(
        "--delay", type=float, default=0.0, help="seconds to hold back each response"
    )
    serve_command.add_argument("--log", type=Path, help="append one JSON line per request here")
    serve_command.set_defaults(run=_run_serve)

    demo = commands.add_parser("demo", help="generate, serve and crawl the site (make demo)")
    demo.set_defaults(run=lambda _args: run_demo())
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
