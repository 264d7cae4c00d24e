"""The command line: parse arguments, call the verb's module, turn errors into messages and exit codes."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from importlib import metadata
from pathlib import Path

from .errors import DruppieError
from .redaction import redact_urls, terminal_safe

# verb -> module under druppie_grafana.commands. The first is the default verb.
VERBS = {
    "build": "build",
    "validate": "validate",
    "plan": "plan",
    "apply": "apply",
    "preview": "preview",
    "setup": "setup",
    "new": "new",
    "import": "import_dashboards",
    "pull": "pull",
}
DEFAULT_VERB = "build"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 on usage errors; keep that, with a hint
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n(run with --help for the verbs and options)\n")


_VALUE_OPTIONS = {"--env", "-e", "--root"}


def _common_options(default_root, env_default) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--env", "-e", default=env_default,
                        help="environment from environments.yaml (default: its `default`)")
    common.add_argument("--root", type=Path, default=default_root,
                        help="project folder holding environments.yaml, datasources/ and dashboards/")
    common.add_argument("--debug", action="store_true", default=False if env_default is None else env_default,
                        help="show a traceback with an error")
    return common


DISTRIBUTION = "druppie-grafana"


def version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a checkout that was never pip-installed
        return "unknown (not installed)"


def make_parser(default_root: Path, prog: str = DISTRIBUTION, only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, just that verb's module is imported (a verb's start-up does not pay for
    the others' imports: `validate FILE` loads neither the build nor the HTTP client)."""
    parser = _Parser(prog=prog, parents=[_common_options(default_root, None)],
                     description="Grafana provisioning as code for Druppie's traceability stack.")
    parser.add_argument("--version", action="version", version=f"{DISTRIBUTION} {version()}")
    # The same options after the verb; SUPPRESS keeps a value given before the verb.
    after_verb = _common_options(argparse.SUPPRESS, argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="verb", parser_class=_Parser, metavar="VERB")
    for verb, module_name in VERBS.items():
        if only is not None and verb != only:
            continue
        module = importlib.import_module(f".commands.{module_name}", __package__)
        verb_parser = sub.add_parser(verb, parents=[after_verb], help=module.HELP, description=module.HELP)
        module.add_arguments(verb_parser)
        verb_parser.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None, default_root: Path | None = None, prog: str = DISTRIBUTION) -> int:
    """The console script `druppie-grafana` (prog: the name usage and errors show; provision.py passes its own)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if _first_positional(argv) is None and not any(a in ("-h", "--help", "--version") for a in argv):
        argv = [DEFAULT_VERB] + argv
    verb = _first_positional(argv)
    helping = any(a in ("-h", "--help") for a in argv[:argv.index(verb)]) if verb in VERBS else True
    parser = make_parser(default_root or Path.cwd(), prog, only=None if helping or verb not in VERBS else verb)
    args = parser.parse_args(argv)
    args.root = args.root.resolve()
    for stream in (sys.stdout, sys.stderr):  # a line as soon as it is written, also into a CI log's pipe
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)
    try:
        return args._module.run(args)
    except DruppieError as exc:
        if args.debug:
            traceback.print_exc()
        print(terminal_safe(redact_urls(f"error: {exc}")), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head`: not an error of ours
        sys.stderr.close()
        return 0
    except Exception as exc:  # noqa: BLE001 - a bug of ours: one line, the traceback only with --debug
        if args.debug:
            traceback.print_exc()
        print(terminal_safe(redact_urls(f"internal error: {type(exc).__name__}: {exc}. Nothing more was sent; "
                                        "run again with --debug for the traceback and report it.")), file=sys.stderr)
        return 1


def _first_positional(argv: list[str]) -> str | None:
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


if __name__ == "__main__":
    sys.exit(main())
