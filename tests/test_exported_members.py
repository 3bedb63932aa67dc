"""The public API is what ``pittgoogle_cli`` re-exports; this pins it."""

import pittgoogle_cli


def test_all_is_sorted_and_complete():
    exported = pittgoogle_cli.__all__
    assert exported == sorted(exported)
    for name in exported:
        assert hasattr(pittgoogle_cli, name), name
    public = {n for n in dir(pittgoogle_cli) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(exported)
