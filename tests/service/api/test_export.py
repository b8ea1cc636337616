"""The export API serves the latest `bridgewatch export` with its manifest."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from bridgewatch.store.dump import export_dump
from tests.service.conftest import Service


def test_export_is_404_until_one_exists_then_streams_files_with_checksums(
    make_service: Callable[..., Service], tmp_path: Path
) -> None:
    service = make_service(data_dir=tmp_path)
    assert service.client.get("/api/v1/export").status_code == 404
    _, headers = service.writer()
    service.post(headers)
    service.note(headers)
    export_dump(service.engine, tmp_path / "export", as_of_ms=service.clock.now_ms, delay_ms=0)
    manifest = service.client.get("/api/v1/export").json()
    listed = {f["name"]: f for f in manifest["files"]}
    assert listed["notes-00000.tsv"]["rows"] == 1
    r = service.client.get("/api/v1/export/notes-00000.tsv")
    assert r.status_code == 200
    assert hashlib.sha256(r.content).hexdigest() == listed["notes-00000.tsv"]["sha256"]
    assert r.headers["X-Checksum-SHA256"] == listed["notes-00000.tsv"]["sha256"]
    assert service.client.get("/api/v1/export/secrets-00000.tsv").status_code == 404
    assert service.client.get("/api/v1/export/..%2Fx.tsv").status_code in (404, 422)
