"""The test tree itself: pytest imports test modules by their basename (tests/ has no __init__.py files)."""

from collections import Counter

from workbook.paths import PROJECT_ROOT


def test_no_two_test_modules_share_a_name():
    names = Counter(path.name for path in (PROJECT_ROOT / "tests").rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
