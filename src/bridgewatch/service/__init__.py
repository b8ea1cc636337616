"""The HTTP service: storage, API, auth and limits."""
