"""Download registered documents from their download addresses: https only, through every redirect;
within a deadline per document; streamed, resumable, size-limited; the body as long as the server
promised; checked by content (`fetch_check`); and pinned by checksum in a lock file so that a changed
official copy is never taken silently. httpx is imported inside the functions: the query path never
loads it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from ..durable import write_bytes
from ..errors import FetchError
from .fetch_check import CHUNK, Body, Kind, Rejected, check
from ..records import Source
from ..settings import FetchSettings

if TYPE_CHECKING:
    import httpx

Status = Literal["new", "unchanged", "changed-accepted"]
Progress = Callable[[str, int, int | None], None]

KINDS: tuple[Kind, ...] = ("pdf", "html", "docx", "text")
SUFFIX = {"pdf": ".pdf", "html": ".html", "docx": ".docx", "text": ".txt"}  # as the loaders know them
USER_AGENT = "treaty-assistant/0.1 (document fetch)"
MAX_REDIRECTS = 10


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


@dataclass(slots=True)
class _Job:
    """One document's download: what it is, where it comes from, where it goes."""

    source: Source
    url: str  # the download address
    part: Path
    settings: FetchSettings
    progress: Progress

    @property
    def id(self) -> str:
        return self.source.id

    @property
    def where(self) -> str:
        return f"the {'download' if self.source.download else 'official'} address of {self.id}"


class _Retryable(Exception):
    """An attempt failed in a way a later attempt may not; the user sees `problem` and `advice` if none succeeds."""

    def __init__(self, problem: str, advice: str):
        super().__init__(problem)
        self.problem = problem
        self.advice = advice

    def message(self, attempts: int) -> str:
        tried = f" ({attempts} attempts)" if attempts > 1 else ""
        return f"{self.problem}{tried}; {self.advice}"


class _Restart(Exception):
    """The partial file cannot be continued with what the server sends: drop it and start from zero."""


def _local(source_id: str) -> str:
    return f"add a local copy with `treaty corpus add FILE --id {source_id}`"


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return re.sub(r"^\[Errno -?\d+\]\s*", "", text)


def download_address(source: Source) -> str:
    """Where the file itself comes from: `download` when the cited address is a viewer, else `address`."""
    url = (source.download or source.address).strip()
    if not url:
        raise FetchError(f"{source.id} has no official address in the registry; {_local(source.id)}")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise FetchError(f"the download address of {source.id} is not an https URL: {url!r}; downloads use https only: "
                         f"fix it in corpus/sources.toml, or {_local(source.id)}")
    return url


def read_lock(path: Path) -> dict[str, dict[str, Any]]:
    """The lock file: document id -> {url, sha256, bytes, kind, fetched_at}; empty when there is none yet."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(f"lock file {path} is not valid JSON ({_reason(exc)}); restore it from version control, "
                         "or delete it to record checksums afresh") from exc
    if not isinstance(data, dict):
        raise FetchError(f"lock file {path} is not a JSON object; restore it from version control, or delete it")
    return data


def _write_lock(path: Path, lock: dict[str, dict[str, Any]]) -> None:
    # A crash mid-write must not leave half a lock: readers see the old file or the new one.
    write_bytes(path, (json.dumps(lock, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, whole size) of a Content-Range header; None where it does not say."""
    m = re.match(r"\s*bytes\s+(\d+)-\d+/(\d+|\*)", value or "")
    if not m:
        return None, None
    return int(m.group(1)), (int(m.group(2)) if m.group(2) != "*" else None)


def _next_hop(job: _Job, r: httpx.Response) -> httpx.URL:
    """Where a redirect leads, refused unless it is https: a plain-http hop could be read or changed on the way."""
    import httpx

    location = r.headers["location"]
    try:
        url = r.url.join(location)
    except httpx.InvalidURL:
        raise FetchError(f"refused the download of {job.id}: {r.url} redirected to an invalid address "
                         f"{location!r}; {_local(job.id)}") from None
    if url.scheme != "https":
        said = location if urlsplit(location).scheme else url  # as the server wrote it, when it is whole
        raise FetchError(f"refused the download of {job.id}: {r.url} redirected to {said}, which is not https "
                         f"(downloads follow https addresses only); {_local(job.id)}")
    return url


async def _open(client: httpx.AsyncClient, job: _Job, headers: dict[str, str]) -> httpx.Response:
    """The streamed response at the end of the redirects, each hop checked before it is followed."""
    import httpx

    url = httpx.URL(job.url)
    for _ in range(MAX_REDIRECTS + 1):
        r = await client.send(client.build_request("GET", url, headers=headers), stream=True)
        if not r.has_redirect_location:
            return r
        await r.aclose()
        url = _next_hop(job, r)
    raise FetchError(f"{job.where} redirects more than {MAX_REDIRECTS} times (a loop?): {job.url}; {_local(job.id)}")


def _refuse_status(job: _Job, r: httpx.Response, offset: int) -> None:
    code, url = r.status_code, job.url
    if code == 416 and offset:
        raise _Restart
    if code >= 500:
        raise _Retryable(f"{job.where} answered HTTP {code} ({r.reason_phrase or 'server error'}): {url}",
                         f"the server is failing; try again later, or {_local(job.id)}")
    if code == 404:
        raise FetchError(f"{job.where} returned 404 (not found): {url}; check the entry in corpus/sources.toml, "
                         f"or {_local(job.id)}")
    if code not in (200, 206):
        raise FetchError(f"{job.where} returned HTTP {code} ({r.reason_phrase}): {url}; {_local(job.id)}")


def _expected_size(job: _Job, r: httpx.Response, offset: int) -> int | None:
    """The whole file's size as the server states it; None when it does not say, or counts encoded bytes."""
    start, whole = _content_range(r.headers.get("content-range")) if r.status_code == 206 else (offset, None)
    if start != offset:
        if offset:
            raise _Restart
        raise FetchError(f"{job.where} sent part of the file (from byte {start}) when asked for all of it: {job.url}; "
                         f"{_local(job.id)}")
    length = _int(r.headers.get("content-length"))
    # With a content encoding, Content-Length counts the encoded bytes, not the file's.
    if r.headers.get("content-encoding", "identity").strip().lower() not in ("", "identity"):
        return None
    total = whole if whole is not None else (offset + length if length is not None else None)
    limit = int(job.settings.max_mb * 1024 * 1024)
    if total is not None and total > limit:
        job.part.unlink(missing_ok=True)
        raise FetchError(f"{job.id} at {job.url} is {total / 1048576:.1f} MB, over the {job.settings.max_mb:g} MB "
                         f"limit, and was not downloaded; raise TREATY_FETCH__MAX_MB, or {_local(job.id)}")
    return total


def _truncated(job: _Job, done: int, total: int | None, why: str) -> _Retryable:
    # What arrived stays in the .part file: the next attempt asks for the rest.
    of = total if total is not None else "an unknown number of"
    return _Retryable(f"truncated download of {job.id} from {job.url}: got {done} of {of} bytes ({why})",
                      f"fetch again to continue where it stopped, or {_local(job.id)}")


async def _receive(job: _Job, r: httpx.Response, offset: int, total: int | None, partial: bool) -> int:
    """Append the body to the .part file as it arrives; the size of the file when the body ended whole."""
    import httpx

    limit = int(job.settings.max_mb * 1024 * 1024)
    done = offset
    with job.part.open("ab" if partial else "wb") as f:
        try:
            async for chunk in r.aiter_bytes():  # as they arrive: a chunk buffer would lose bytes on a cut
                done += len(chunk)
                if done > limit:
                    break
                f.write(chunk)
                job.progress(job.id, done, total)
        except httpx.RequestError as exc:
            raise _truncated(job, done, total, f"no data for {job.settings.timeout:g} s"
                             if isinstance(exc, httpx.TimeoutException) else "connection closed") from exc
    if done > limit:
        job.part.unlink(missing_ok=True)
        raise FetchError(f"the download of {job.id} from {job.url} passed the {job.settings.max_mb:g} MB limit and was "
                         f"stopped; raise TREATY_FETCH__MAX_MB, or {_local(job.id)}")
    length = _int(r.headers.get("content-length"))
    # A body that ends before its Content-Length without an error is as truncated as one cut off.
    if (total is not None and done < total) or (length is not None and r.num_bytes_downloaded < length):
        raise _truncated(job, done, total, "the body ended early")
    return done


async def _attempt(client: httpx.AsyncClient, job: _Job) -> Body:
    offset = job.part.stat().st_size if job.part.exists() else 0
    r = await _open(client, job, {"Range": f"bytes={offset}-"} if offset else {})
    try:
        _refuse_status(job, r, offset)
        partial = r.status_code == 206 and offset > 0
        offset = offset if partial else 0  # the server sent the whole file: start over
        total = _expected_size(job, r, offset)
        done = await _receive(job, r, offset, total, partial)
    finally:
        await r.aclose()
    return Body(done, r.headers.get("content-type", ""), str(r.url), partial)


def _transport_failure(exc: httpx.TransportError, job: _Job) -> _Retryable:
    import httpx

    try:
        host = exc.request.url.host  # after a redirect, the host that failed may be another
    except RuntimeError:
        host = urlsplit(job.url).hostname or ""
    if isinstance(exc, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in str(exc):
        raise FetchError(f"refused the download of {job.id}: {host} did not prove it is {host} ({_reason(exc)}); "
                         "if a proxy on your network inspects TLS, set TREATY_FETCH__CA_FILE to its certificate; "
                         f"else {_local(job.id)}") from exc
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return _Retryable(f"cannot reach {host} to fetch {job.id}: {_reason(exc)}",
                          f"check the connection, or {_local(job.id)}")
    if isinstance(exc, httpx.TimeoutException):
        return _Retryable(f"{host} did not answer within {job.settings.timeout:g} s when asked for {job.id}",
                          f"try again later, raise TREATY_FETCH__TIMEOUT, or {_local(job.id)}")
    return _Retryable(f"lost the connection to {host} while fetching {job.id}: {_reason(exc)}",
                      f"check the connection, or {_local(job.id)}")


async def _download(client: httpx.AsyncClient, job: _Job) -> Body:
    """Attempts with exponential waits between them (`backoff`, then twice that, ...), `retries` more
    after the first; the caller's deadline bounds attempts and waits together."""
    from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

    retrying = AsyncRetrying(retry=retry_if_exception_type(_Retryable), reraise=True,
                             stop=stop_after_attempt(job.settings.retries + 1),
                             wait=wait_exponential(multiplier=job.settings.backoff))
    try:
        async for attempt in retrying:
            with attempt:
                return await _attempt_from_part(client, job)
    except _Retryable as exc:
        raise FetchError(exc.message(retrying.statistics["attempt_number"])) from None
    raise AssertionError("tenacity ends with a result or an exception")


async def _attempt_from_part(client: httpx.AsyncClient, job: _Job) -> Body:
    """One attempt, continuing the .part file if the server allows it, else from zero."""
    import httpx

    try:
        while True:
            try:
                return await _attempt(client, job)
            except _Restart:
                # No range is asked once the .part is gone, so this cannot repeat.
                job.part.unlink(missing_ok=True)
    except httpx.TransportError as exc:
        raise _transport_failure(exc, job) from None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _current_copy(dest: Path, source_id: str) -> Path | None:
    return next((p for k in KINDS if (p := dest / f"{source_id}{SUFFIX[k]}").exists()), None)


async def _fetch_checked(client: httpx.AsyncClient, job: _Job, pinned: str | None) -> tuple[Kind, str, int]:
    while True:
        body = await _download(client, job)
        try:
            kind = check(job.part, body, job.source, job.url)
        except Rejected as exc:
            job.part.unlink(missing_ok=True)
            if body.resumed:
                continue  # the kept .part may be the start of an older version: once more, from zero
            kept = "the previous copy is kept" if _current_copy(job.part.parent, job.id) else "nothing was saved"
            raise FetchError(f"rejected the download of {job.id} from {job.url}: {exc}; {kept}; check the "
                             f"address in corpus/sources.toml, or {_local(job.id)}") from None
        sha = _sha256(job.part)
        if body.resumed and pinned and sha != pinned:
            # A resumed file that differs may be two versions spliced together: confirm from zero.
            job.part.unlink()
            continue
        return kind, sha, body.size


def _verify(settings: FetchSettings) -> ssl.SSLContext | bool:
    """The certificate authorities a download trusts: the ones httpx ships, or the file the settings name."""
    if settings.ca_file is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(settings.ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise FetchError(f"cannot use {settings.ca_file} as the certificate authorities to trust "
                         f"({_reason(exc)}): fix or unset TREATY_FETCH__CA_FILE") from None


async def _fetch_in_time(job: _Job, pinned: str | None) -> tuple[Kind, str, int]:
    """The download within the settings' deadline: connections, redirects, retries, waits and slow bodies all count."""
    import httpx

    s = job.settings
    try:
        async with asyncio.timeout(s.deadline):
            async with httpx.AsyncClient(timeout=httpx.Timeout(s.timeout), follow_redirects=False, verify=_verify(s),
                                         headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}) as client:
                return await _fetch_checked(client, job, pinned)
    except TimeoutError:
        got = job.part.stat().st_size if job.part.exists() else 0
        raise FetchError(f"the download of {job.id} from {job.url} did not finish within the {s.deadline:g} s deadline "
                         f"({got} bytes arrived and are kept); fetch again to continue, raise TREATY_FETCH__DEADLINE, "
                         f"or {_local(job.id)}") from None


def fetch_one(source: Source, folder: Path, lock_path: Path, settings: FetchSettings, *, accept_changed: bool = False,
              progress: Progress = noop) -> FetchResult:
    """Download `source` into `folder/<id>/<id>.<kind>` and record or check its checksum in `lock_path`."""
    url = download_address(source)
    lock = read_lock(lock_path)
    pinned = lock.get(source.id)
    dest = folder / source.id
    job = _Job(source, url, dest / f"{source.id}.part", settings, progress)
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
