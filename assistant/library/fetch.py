"""Download registered documents from their download addresses: https only, through every redirect;
within a deadline per document; streamed, resumable, size-limited; the body as long as the server
promised; checked by content (`fetch_check`); and pinned by checksum in a lock file so that a changed
official copy is never taken silently. The transfer itself (redirects, ranges, retries) is
`download.py`. httpx is imported inside the functions: the query path never loads it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from ..durable import write_bytes
from ..errors import FetchError
from ..records import Source
from ..settings import FetchSettings
from .download import USER_AGENT, Job, Progress, download, local_copy_advice, one_line_reason, trusted_authorities
from .fetch_check import CHUNK, Kind, Rejected, check


if TYPE_CHECKING:
    import httpx

Status = Literal["new", "unchanged", "changed-accepted"]

KINDS: tuple[Kind, ...] = ("pdf", "html", "docx", "text")
SUFFIX = {"pdf": ".pdf", "html": ".html", "docx": ".docx", "text": ".txt"}  # as the loaders know them


def noop(source_id: str, done: int, total: int | None) -> None:
    pass


@dataclass(slots=True)
class FetchResult:
    id: str
    path: Path
    sha256: str
    bytes: int
    status: Status
    kind: Kind


def download_address(source: Source) -> str:
    """Where the file itself comes from: `download` when the cited address is a viewer, else `address`."""
    url = (source.download or source.address).strip()
    if not url:
        raise FetchError(f"{source.id} has no official address in the registry; {local_copy_advice(source.id)}")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise FetchError(f"the download address of {source.id} is not an https URL: {url!r}; downloads use https only: "
                         f"fix it in corpus/sources.toml, or {local_copy_advice(source.id)}")
    return url


def read_lock(path: Path) -> dict[str, dict[str, Any]]:
    """The lock file: document id -> {url, sha256, bytes, kind, fetched_at}; empty when there is none yet."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(f"lock file {path} is not valid JSON ({one_line_reason(exc)}); restore it from version control, "
                         "or delete it to record checksums afresh") from exc
    bad = next((k for k, v in data.items() if not isinstance(v, dict)), None) if isinstance(data, dict) else ""
    if bad is not None:
        what = "is not a JSON object" if bad == "" else f"has an entry for {bad!r} that is not a JSON object"
        raise FetchError(f"lock file {path} {what}; restore it from version control, or delete it")
    return data


def _write_lock(path: Path, lock: dict[str, dict[str, Any]]) -> None:
    # A crash mid-write must not leave half a lock: readers see the old file or the new one.
    write_bytes(path, (json.dumps(lock, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _current_copy(dest: Path, source_id: str) -> Path | None:
    return next((p for k in KINDS if (p := dest / f"{source_id}{SUFFIX[k]}").exists()), None)


async def _fetch_checked(client: httpx.AsyncClient, job: Job, pinned: str | None) -> tuple[Kind, str, int]:
    while True:
        body = await download(client, job)
        try:
            kind = check(job.part, body, job.source, job.url)
        except Rejected as exc:
            job.part.unlink(missing_ok=True)
            if body.resumed:
                continue  # the kept .part may be the start of an older version: once more, from zero
            kept = "the previous copy is kept" if _current_copy(job.part.parent, job.id) else "nothing was saved"
            raise FetchError(f"rejected the download of {job.id} from {job.url}: {exc}; {kept}; check the "
                             f"address in corpus/sources.toml, or {local_copy_advice(job.id)}") from None
        sha = _sha256(job.part)
        if body.resumed and pinned and sha != pinned:
            # A resumed file that differs may be two versions spliced together: confirm from zero.
            job.part.unlink()
            continue
        return kind, sha, body.size


async def _fetch_in_time(job: Job, pinned: str | None) -> tuple[Kind, str, int]:
    """The download within the settings' deadline: connections, redirects, retries, waits and slow bodies all count."""
    import httpx

    s = job.settings
    try:
        async with asyncio.timeout(s.deadline):
            async with httpx.AsyncClient(timeout=httpx.Timeout(s.timeout), follow_redirects=False, verify=trusted_authorities(s),
                                         headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}) as client:
                return await _fetch_checked(client, job, pinned)
    except TimeoutError:
        got = job.part.stat().st_size if job.part.exists() else 0
        raise FetchError(f"the download of {job.id} from {job.url} did not finish within the {s.deadline:g} s deadline "
                         f"({got} bytes arrived and are kept); fetch again to continue, raise TREATY_FETCH__DEADLINE, "
                         f"or {local_copy_advice(job.id)}") from None


def fetch_one(source: Source, folder: Path, lock_path: Path, settings: FetchSettings, *, accept_changed: bool = False,
              progress: Progress = noop) -> FetchResult:
    """Download `source` into `folder/<id>/<id>.<kind>` and record or check its checksum in `lock_path`."""
    url = download_address(source)
    lock = read_lock(lock_path)
    pinned = lock.get(source.id)
    dest = folder / source.id
    job = Job(source, url, dest / f"{source.id}.part", settings, progress)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        kind, sha, size = asyncio.run(_fetch_in_time(job, pinned and pinned.get("sha256")))
        final = dest / f"{source.id}{SUFFIX[kind]}"
        if pinned and pinned.get("sha256") == sha:
            status: Status = "unchanged"
            if pinned.get("url") != url:
                lock[source.id] = {**pinned, "url": url}
                _write_lock(lock_path, lock)
            os.replace(job.part, final)  # same bytes; restores the copy if it was deleted or damaged
        elif pinned and not accept_changed:
            job.part.unlink(missing_ok=True)
            raise FetchError(f"the official copy of {source.id} changed since {str(pinned.get('fetched_at', '?'))[:10]} "
                             f"({str(pinned.get('sha256', ''))[:12]} -> {sha[:12]}); the copy fetched then is kept; "
                             "run again with --accept-changed to take the new one")
        else:
            status = "changed-accepted" if pinned else "new"
            lock[source.id] = {"url": url, "sha256": sha, "bytes": size, "kind": kind,
                               "fetched_at": datetime.now(UTC).isoformat(timespec="seconds")}
            # Lock first: if the move below fails, the next fetch finds the pinned bytes and restores the file.
            _write_lock(lock_path, lock)
            old = _current_copy(dest, source.id)
            os.replace(job.part, final)
            if old and old != final:
                old.unlink()
    except OSError as exc:
        raise FetchError(f"cannot save the download of {source.id} in {dest}: {exc.strerror or exc}") from exc
    return FetchResult(source.id, final, sha, size, status, kind)


def fetch_many(sources: Iterable[Source], folder: Path, lock_path: Path, settings: FetchSettings,
               accept_changed: bool = False, progress: Progress = noop) -> tuple[list[FetchResult], list[tuple[str, str]]]:
    """Fetch each source; a failure is recorded as (id, message) and the others still run."""
    done: list[FetchResult] = []
    failed: list[tuple[str, str]] = []
    for source in sources:
        try:
            done.append(fetch_one(source, folder, lock_path, settings, accept_changed=accept_changed, progress=progress))
        except FetchError as exc:
            failed.append((source.id, exc.message))
    return done, failed
