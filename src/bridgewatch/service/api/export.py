"""The public data export: manifest and streamed files (spec-extended §7.9).

Files are produced by ``bridgewatch export`` (for example daily from cron) into
``DATA_DIR/export``; the API serves the latest one, streamed from disk.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from bridgewatch.errors import NotFoundError
from bridgewatch.service.api import API_PREFIX
from bridgewatch.service.deps import get_settings
from bridgewatch.service.schemas import ErrorBody
from bridgewatch.service.settings import Settings

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX, tags=["export"])
_MEDIA_TYPES = {".tsv": "text/tab-separated-values", ".parquet": "application/vnd.apache.parquet"}


def _manifest(settings: Settings) -> dict[str, Any]:
    path = settings.data_dir / "export" / "manifest.json"
    if not path.is_file():
        raise NotFoundError("no public export yet (the operator runs `bridgewatch export`)")
    manifest: dict[str, Any] = json.loads(path.read_text())
    return manifest


@router.get("/export", responses={404: {"model": ErrorBody}})
def export_manifest(settings: Annotated[Settings, Depends(get_settings)]) -> dict[str, Any]:
    """The latest export's manifest: release time, cutoff, and per file rows, bytes, SHA-256."""
    return _manifest(settings)


@router.get(
    "/export/{filename}",
    response_class=FileResponse,
    responses={404: {"model": ErrorBody}},
)
def export_file(
    settings: Annotated[Settings, Depends(get_settings)],
    filename: Annotated[str, PathParam(max_length=64, pattern=r"^[A-Za-z]+-\d{5}\.(tsv|parquet)$")],
) -> FileResponse:
    """One file of the latest export, streamed (names as listed in the manifest)."""
    listed = {f["name"]: f for f in _manifest(settings)["files"]}
    if filename not in listed:
        raise NotFoundError(f"no file {filename!r} in the latest export")
    path: Path = settings.data_dir / "export" / filename
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES[path.suffix],
        filename=filename,
        headers={"X-Checksum-SHA256": listed[filename]["sha256"]},
    )
