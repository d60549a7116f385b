"""Cursor pages for the lists that grow without bound: no `COUNT(*)`, no `OFFSET` that reads every earlier row."""

from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    """Newest first by `created_at`, 50 a page (`page_size` up to 500); `next` and `previous` carry the cursor.

    Each ordering below must be served by an index on the same columns, so a page reads only its own rows.
    """

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
