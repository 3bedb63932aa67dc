"""The public API is what ``pittgoogle_cli`` re-exports; this pins it exactly, so that an
addition or a removal is a reviewed change."""

import ast
import subprocess
import sys
from pathlib import Path

import pittgoogle_cli

from .conftest import ZTF_FILES

PUBLIC = [
    "Alert",
    "AlreadyExists",
    "ApiError",
    "AuthError",
    "BadRequest",
    "BigQueryClient",
    "ConfigError",
    "CostTooHigh",
    "Counts",
    "Cutouts",
    "DecodeError",
    "DecodeOutcome",
    "DecodeSettings",
    "Decoder",
    "Filter",
    "FilterBroken",
    "FilterFailed",
    "HeldAlerts",
    "MalformedReply",
    "NotFound",
    "OutputClosed",
    "OutputFailed",
    "OutputFormat",
    "PermissionDenied",
    "PgbError",
    "PullOutcome",
    "PullSettings",
    "Query",
    "QueryResult",
    "SchemaInfo",
    "SchemaRegistry",
    "ServerError",
    "ShapeOptions",
    "StopReason",
    "TableId",
    "TooManyRequests",
    "TransportError",
    "Unauthenticated",
    "Unreachable",
    "UnsupportedSchema",
    "__version__",
    "alerts",
    "alerts_query",
    "classtar_filter",
    "decode_files",
    "default_token_source",
    "fetch",
    "load_filter",
    "load_filters",
    "plot",
    "pull",
    "pull_sync",
    "resolve_project",
    "subscriptions",
    "where_filter",
]


def test_all_is_exactly_the_public_api():
    assert pittgoogle_cli.__all__ == PUBLIC


def test_all_is_a_sorted_literal_in_the_source():
    tree = ast.parse(Path(pittgoogle_cli.__file__).read_text())
    assigned = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(getattr(t, "id", "") == "__all__" for t in node.targets)
    ]
    assert len(assigned) == 1 and isinstance(assigned[0], ast.List)
    names = [ast.literal_eval(item) for item in assigned[0].elts]
    assert names == sorted(names)


def test_every_name_resolves_lazily_names_included():
    probe = (
        "import pittgoogle_cli as pgb; "
        "missing = [n for n in pgb.__all__ if getattr(pgb, n, None) is None]; "
        "print(missing)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    for name in PUBLIC:  # and in this process, after whatever the other tests imported
        assert getattr(pittgoogle_cli, name) is not None, name


def test_the_exceptions_are_one_tree():
    for name in PUBLIC:
        value = getattr(pittgoogle_cli, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, pittgoogle_cli.PgbError), name


def _loaded_by(*argv: str, modules: tuple[str, ...]) -> list[str]:
    probe = (
        "import sys; from pittgoogle_cli.cli import app\n"
        f"sys.argv = {['pgb', *argv]!r}\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {modules!r} if m in sys.modules), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    return done.stderr.strip().splitlines()[-1:]


def test_the_cli_starts_without_oauth_or_bigquery_code():
    """Start-up time is part of every `pgb pull`: heavy modules load only when used."""
    heavy = ("authlib", "joserfc", "cryptography", "pyarrow", "httpx")
    assert _loaded_by("--version", modules=heavy) == ["[]"]


def test_pgb_decode_loads_no_http_nor_pubsub_stack():
    stack = ("httpx", "pittgoogle_cli.pubsub.stream", "pittgoogle_cli.google.http", "authlib")
    assert _loaded_by("decode", str(ZTF_FILES[0]), "--fields", "objectId", modules=stack) == ["[]"]


def test_the_cli_offers_exactly_the_formats_the_library_knows():
    from typing import get_args

    from pittgoogle_cli.cli.options import Format

    assert {f.value for f in Format} == set(get_args(pittgoogle_cli.OutputFormat))
