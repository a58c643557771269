"""What the toy connector asks for: task pages of 10 (the toy API's fixed size)."""

from __future__ import annotations

PAGE_SIZE = 10  # fixed by the toy API: a page is full when it holds this many


def task_params(page: int) -> dict[str, str]:
    """The parameters of one page of a list's tasks."""
    return {"page": str(page)}
