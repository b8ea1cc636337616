"""Storage: every table in one ``MetaData``, the engine, the Alembic migrations, the event
log, the dump (import and export) and the read queries shared by the service, the real-time
pipeline and the web app.

Layer: above ``model``, ``io`` and ``scoring``; below the use cases and the service, pipeline
and web packages (see CONTRIBUTING.md, "Architecture"). Nothing here imports from those.
"""
