"""The HTTP API (FastAPI)."""

from mpr.api.app import create_app

__all__ = ["create_app"]
