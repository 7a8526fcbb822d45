"""A queue's waiting callers in service order, with positions in O(log n).

A plain sorted list with `bisect`: inserting or removing moves memory in C, which for the
tens of thousands of callers a contact centre has is cheaper than any tree in Python, and
`position` (what announcements need) is a binary search. Calls being offered or called back
are taken out while that happens and put back with the same key: they keep their place.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator

from agents.priority import SortKey


class WaitingList:
    def __init__(self) -> None:
        self._keys: list[SortKey] = []

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[SortKey]:
        return iter(self._keys)

    def add(self, key: SortKey) -> None:
        insort(self._keys, key)

    def remove(self, key: SortKey) -> bool:
        i = bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            del self._keys[i]
            return True
        return False

    def position(self, key: SortKey) -> int:
        """1 for the next caller to be served; 0 when the key is not in the list."""
        i = bisect_left(self._keys, key)
        return i + 1 if i < len(self._keys) and self._keys[i] == key else 0

    def head(self) -> SortKey | None:
        return self._keys[0] if self._keys else None
