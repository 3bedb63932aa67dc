"""The public API is what ``pittgoogle_cli`` re-exports; this pins it."""

import pittgoogle_cli


def test_all_is_sorted_and_complete():
    exported = pittgoogle_cli.__all__
    assert exported == sorted(exported)
    for name in exported:
        assert hasattr(pittgoogle_cli, name), name
    public = {n for n in dir(pittgoogle_cli) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(exported)


def test_the_cli_starts_without_oauth_or_bigquery_code():
    """Start-up time is part of every `pgb pull`: heavy modules load only when used."""
    import subprocess
    import sys

    probe = (
        "import sys, pittgoogle_cli.cli; "
        "print(sorted(m for m in ('authlib', 'joserfc', 'cryptography', 'pyarrow') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
