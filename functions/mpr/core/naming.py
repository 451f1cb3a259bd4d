"""Names that must be unique among their siblings (rendition names in a group, file names)."""

from __future__ import annotations

from collections.abc import Collection


def unique_name(wanted: str, taken: Collection[str], suffix: str) -> str:
    """`wanted`, or `wanted` with `suffix` formatted with 2, 3, ... where it is taken."""
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = wanted + suffix.format(n)
    return name
