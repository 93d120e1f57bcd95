"""One document's bytes over https, for `fetch`: every redirect followed by hand (https only), the
body streamed into a .part file that a later attempt continues (HTTP ranges), the size the server
promised held to, and attempts retried with exponential waits (tenacity). httpx is imported inside
the functions: the query path never loads it."""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..errors import FetchError
from ..records import Source
from ..settings import FetchSettings
from .fetch_check import Body


if TYPE_CHECKING:
    import httpx

Progress = Callable[[str, int, int | None], None]
USER_AGENT = "treaty-assistant/0.1 (document fetch)"
MAX_REDIRECTS = 10


@dataclass(slots=True)
class Job:
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


def local_copy_advice(source_id: str) -> str:
    return f"add a local copy with `treaty corpus add FILE --id {source_id}`"


def one_line_reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return re.sub(r"^\[Errno -?\d+\]\s*", "", text)


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


def _next_hop(job: Job, r: httpx.Response) -> httpx.URL:
    """Where a redirect leads, refused unless it is https: a plain-http hop could be read or changed on the way."""
    import httpx

    location = r.headers["location"]
    try:
        url = r.url.join(location)
    except httpx.InvalidURL:
        raise FetchError(f"refused the download of {job.id}: {r.url} redirected to an invalid address "
                         f"{location!r}; {local_copy_advice(job.id)}") from None
    if url.scheme != "https":
        said = location if urlsplit(location).scheme else url  # as the server wrote it, when it is whole
        raise FetchError(f"refused the download of {job.id}: {r.url} redirected to {said}, which is not https "
                         f"(downloads follow https addresses only); {local_copy_advice(job.id)}")
    return url


async def _open(client: httpx.AsyncClient, job: Job, headers: dict[str, str]) -> httpx.Response:
    """The streamed response at the end of the redirects, each hop checked before it is followed."""
    import httpx

    url = httpx.URL(job.url)
    for _ in range(MAX_REDIRECTS + 1):
        r = await client.send(client.build_request("GET", url, headers=headers), stream=True)
        if not r.has_redirect_location:
            return r
        await r.aclose()
        url = _next_hop(job, r)
    raise FetchError(f"{job.where} redirects more than {MAX_REDIRECTS} times (a loop?): {job.url}; {local_copy_advice(job.id)}")


def _refuse_status(job: Job, r: httpx.Response, offset: int) -> None:
    code, url = r.status_code, job.url
    if code == 416 and offset:
        raise _Restart
    if code >= 500:
        raise _Retryable(f"{job.where} answered HTTP {code} ({r.reason_phrase or 'server error'}): {url}",
                         f"the server is failing; try again later, or {local_copy_advice(job.id)}")
    if code == 404:
        raise FetchError(f"{job.where} returned 404 (not found): {url}; check the entry in corpus/sources.toml, "
                         f"or {local_copy_advice(job.id)}")
    if code not in (200, 206):
        raise FetchError(f"{job.where} returned HTTP {code} ({r.reason_phrase}): {url}; {local_copy_advice(job.id)}")


def _expected_size(job: Job, r: httpx.Response, offset: int) -> int | None:
    """The whole file's size as the server states it; None when it does not say, or counts encoded bytes."""
    start, whole = _content_range(r.headers.get("content-range")) if r.status_code == 206 else (offset, None)
    if start != offset:
        if offset:
            raise _Restart
        raise FetchError(f"{job.where} sent part of the file (from byte {start}) when asked for all of it: {job.url}; "
                         f"{local_copy_advice(job.id)}")
    length = _int(r.headers.get("content-length"))
    # With a content encoding, Content-Length counts the encoded bytes, not the file's.
    if r.headers.get("content-encoding", "identity").strip().lower() not in ("", "identity"):
        return None
    total = whole if whole is not None else (offset + length if length is not None else None)
    limit = int(job.settings.max_mb * 1024 * 1024)
    if total is not None and total > limit:
        job.part.unlink(missing_ok=True)
        raise FetchError(f"{job.id} at {job.url} is {total / 1048576:.1f} MB, over the {job.settings.max_mb:g} MB "
                         f"limit, and was not downloaded; raise TREATY_FETCH__MAX_MB, or {local_copy_advice(job.id)}")
    return total


def _truncated(job: Job, done: int, total: int | None, why: str) -> _Retryable:
    # What arrived stays in the .part file: the next attempt asks for the rest.
    of = total if total is not None else "an unknown number of"
    return _Retryable(f"truncated download of {job.id} from {job.url}: got {done} of {of} bytes ({why})",
                      f"fetch again to continue where it stopped, or {local_copy_advice(job.id)}")


async def _receive(job: Job, r: httpx.Response, offset: int, total: int | None, partial: bool) -> int:
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
                         f"stopped; raise TREATY_FETCH__MAX_MB, or {local_copy_advice(job.id)}")
    length = _int(r.headers.get("content-length"))
    # A body that ends before its Content-Length without an error is as truncated as one cut off.
    if (total is not None and done < total) or (length is not None and r.num_bytes_downloaded < length):
        raise _truncated(job, done, total, "the body ended early")
    return done


async def _attempt(client: httpx.AsyncClient, job: Job) -> Body:
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


def _transport_failure(exc: httpx.TransportError, job: Job) -> _Retryable:
    import httpx

    try:
        host = exc.request.url.host  # after a redirect, the host that failed may be another
    except RuntimeError:
        host = urlsplit(job.url).hostname or ""
    if isinstance(exc, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in str(exc):
        raise FetchError(f"refused the download of {job.id}: {host} did not prove it is {host} ({one_line_reason(exc)}); "
                         "if a proxy on your network inspects TLS, set TREATY_FETCH__CA_FILE to its certificate; "
                         f"else {local_copy_advice(job.id)}") from exc
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return _Retryable(f"cannot reach {host} to fetch {job.id}: {one_line_reason(exc)}",
                          f"check the connection, or {local_copy_advice(job.id)}")
    if isinstance(exc, httpx.TimeoutException):
        return _Retryable(f"{host} did not answer within {job.settings.timeout:g} s when asked for {job.id}",
                          f"try again later, raise TREATY_FETCH__TIMEOUT, or {local_copy_advice(job.id)}")
    return _Retryable(f"lost the connection to {host} while fetching {job.id}: {one_line_reason(exc)}",
                      f"check the connection, or {local_copy_advice(job.id)}")


async def download(client: httpx.AsyncClient, job: Job) -> Body:
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


async def _attempt_from_part(client: httpx.AsyncClient, job: Job) -> Body:
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


def trusted_authorities(settings: FetchSettings) -> ssl.SSLContext | bool:
    """The certificate authorities a download trusts: the ones httpx ships, or the file the settings name."""
    if settings.ca_file is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(settings.ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise FetchError(f"cannot use {settings.ca_file} as the certificate authorities to trust "
                         f"({one_line_reason(exc)}): fix or unset TREATY_FETCH__CA_FILE") from None
