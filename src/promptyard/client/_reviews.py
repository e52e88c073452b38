"""Client methods of the reviews area (issue 4), mixed into :class:`promptyard.Client`."""

from __future__ import annotations

from typing import Any


class ReviewsMixin:
    """Methods call ``self._json(method, path, params=..., json_body=..., in_project=...)``."""

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:  # provided by Client
        raise NotImplementedError
