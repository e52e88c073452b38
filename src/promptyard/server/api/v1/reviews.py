"""Routes of the reviews area (issue 4): thin shells over services."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["reviews"])
