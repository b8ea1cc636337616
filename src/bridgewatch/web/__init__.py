"""Server-rendered contributor pages."""
