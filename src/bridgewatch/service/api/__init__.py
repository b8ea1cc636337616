"""HTTP routers, one per resource, mounted under :data:`API_PREFIX`."""

__all__ = ["API_PREFIX"]

API_PREFIX = "/api/v1"
