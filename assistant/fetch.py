"""Download registered documents from their official addresses: streamed, resumable, size-limited,
checked by content, and pinned by checksum in a lock file so that a changed official copy is never
taken silently. httpx is imported inside the functions: the query path never loads it."""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from .errors import FetchError
from .records import Source
from .settings import FetchSettings

if TYPE_CHECKING:
    import httpx

Kind = Literal["pdf", "html", "docx", "text"]
Status = Literal["new", "unchanged", "changed-accepted"]
Progress = Callable[[str, int, int | None], None]

KINDS: tuple[Kind, ...] = ("pdf", "html", "docx", "text")
SUFFIX = {"pdf": ".pdf", "html": ".html", "docx": ".docx", "text": ".txt"}  # as the loaders know them
CHUNK = 64 * 1024
USER_AGENT = "treaty-assistant/0.1 (document fetch)"

_NAMES = {"pdf": "a PDF", "html": "an HTML page", "docx": "a Word document", "text": "plain text", None: "unrecognised bytes"}
_BY_SUFFIX = {".pdf": "pdf", ".html": "html", ".htm": "html", ".docx": "docx", ".txt": "text", ".md": "text"}
_BY_TYPE = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/plain": "text",
    "text/markdown": "text",
}
_HTML = re.compile(rb"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
# Titles of error, login and bot-check pages that servers send with status 200.
_ERROR_TITLE = re.compile(
    r"\b(error|not found|access denied|forbidden|unauthori[sz]ed|service unavailable|bad gateway|request rejected|"
    r"just a moment|attention required)\b",
    re.IGNORECASE,
)


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
class _Body:
    size: int
    content_type: str
    url: str  # after redirects
    resumed: bool


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


class _Rejected(Exception):
    pass


def _local(source_id: str) -> str:
    return f"add a local copy with `treaty corpus add FILE --id {source_id}`"


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return re.sub(r"^\[Errno -?\d+\]\s*", "", text)


def _address(source: Source) -> str:
    url = source.address.strip()
    if not url:
        raise FetchError(f"{source.id} has no official address in the registry; {_local(source.id)}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"the official address of {source.id} is not an http(s) URL: {url!r}; fix it in "
                         f"corpus/sources.toml, or {_local(source.id)}")
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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(lock, f, indent=2, sort_keys=True, ensure_ascii=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _range_start(content_range: str | None) -> int | None:
    m = re.match(r"\s*bytes\s+(\d+)-", content_range or "")
    return int(m.group(1)) if m else None


def _attempt(client: httpx.Client, source: Source, part: Path, settings: FetchSettings, progress: Progress) -> _Body:
    import httpx

    limit = int(settings.max_mb * 1024 * 1024)
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    with client.stream("GET", source.address, headers=headers) as r:
        if r.status_code == 416 and offset:
            raise _Restart
        if r.status_code >= 500:
            raise _Retryable(f"the official address of {source.id} answered HTTP {r.status_code} "
                             f"({r.reason_phrase or 'server error'}): {source.address}",
                             f"the server is failing; try again later, or {_local(source.id)}")
        if r.status_code == 404:
            raise FetchError(f"the official address of {source.id} returned 404 (not found): {source.address}; "
                             f"check the address in corpus/sources.toml, or {_local(source.id)}")
        if r.status_code >= 400:
            raise FetchError(f"the official address of {source.id} returned HTTP {r.status_code} "
                             f"({r.reason_phrase}): {source.address}; {_local(source.id)}")
        partial = r.status_code == 206 and offset > 0
        if partial and _range_start(r.headers.get("content-range")) != offset:
            raise _Restart
        if not partial:
            offset = 0  # the server sent the whole file: start over
        length = _int(r.headers.get("content-length"))
        # With a content encoding, Content-Length counts the encoded bytes, not the file's.
        encoded = r.headers.get("content-encoding", "identity").strip().lower() not in ("", "identity")
        total = offset + length if length is not None and not encoded else None
        if total is not None and total > limit:
            part.unlink(missing_ok=True)
            raise FetchError(f"{source.id} at {source.address} is {total / 1048576:.1f} MB, over the "
                             f"{settings.max_mb:g} MB limit, and was not downloaded; raise TREATY_FETCH__MAX_MB, "
                             f"or {_local(source.id)}")
        done, over = offset, False
        with part.open("ab" if partial else "wb") as f:
            try:
                for chunk in r.iter_bytes():  # as they arrive: a chunk buffer would lose bytes on a cut
                    done += len(chunk)
                    if done > limit:
                        over = True
                        break
                    f.write(chunk)
                    progress(source.id, done, total)
            except httpx.RequestError as exc:
                # What arrived stays in the .part file: the next attempt asks for the rest.
                why = f"no data for {settings.timeout:g} s" if isinstance(exc, httpx.TimeoutException) else "connection closed"
                raise _Retryable(f"truncated download of {source.id} from {source.address}: got {done} of "
                                 f"{total if total is not None else 'an unknown number of'} bytes ({why})",
                                 f"fetch again to continue where it stopped, or {_local(source.id)}") from exc
        if over:
            part.unlink(missing_ok=True)
            raise FetchError(f"the download of {source.id} from {source.address} passed the {settings.max_mb:g} MB "
                             f"limit and was stopped; raise TREATY_FETCH__MAX_MB, or {_local(source.id)}")
        if total is not None and done < total:
            raise _Retryable(f"truncated download of {source.id} from {source.address}: got {done} of {total} bytes",
                             f"fetch again to continue where it stopped, or {_local(source.id)}")
        return _Body(done, r.headers.get("content-type", ""), str(r.url), partial)


def _transport_failure(exc: httpx.TransportError, source: Source, settings: FetchSettings) -> _Retryable:
    import httpx

    host = urlsplit(source.address).hostname
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return _Retryable(f"cannot reach {host} to fetch {source.id}: {_reason(exc)}",
                          f"check the connection, or {_local(source.id)}")
    if isinstance(exc, httpx.TimeoutException):
        return _Retryable(f"{host} did not answer within {settings.timeout:g} s when asked for {source.id}",
                          f"try again later, raise TREATY_FETCH__TIMEOUT, or {_local(source.id)}")
    return _Retryable(f"lost the connection to {host} while fetching {source.id}: {_reason(exc)}",
                      f"check the connection, or {_local(source.id)}")


def _download(client: httpx.Client, source: Source, part: Path, settings: FetchSettings, progress: Progress) -> _Body:
    import httpx

    attempts = 0
    while True:
        try:
            return _attempt(client, source, part, settings, progress)
        except _Restart:
            # No range is asked once the .part is gone, so this cannot repeat.
            part.unlink(missing_ok=True)
            continue
        except _Retryable as exc:
            failure = exc
        except httpx.TooManyRedirects as exc:
            raise FetchError(f"the official address of {source.id} redirects in a loop: {source.address}; "
                             f"{_local(source.id)}") from exc
        except httpx.TransportError as exc:
            failure = _transport_failure(exc, source, settings)
        attempts += 1
        if attempts > settings.retries:
            raise FetchError(failure.message(attempts))
        time.sleep(settings.backoff * 2 ** (attempts - 1))


def _title(path: Path) -> str:
    with path.open("rb") as f:
        m = _TITLE.search(f.read(65536))
    return " ".join(m.group(1).decode("utf-8", "replace").split()) if m else ""


def _is_utf8_text(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                if b"\x00" in chunk:
                    return False
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _sniff(path: Path, head: bytes) -> Kind | None:
    """What the bytes are, whatever the server said they were."""
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if start.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                return "docx" if "word/document.xml" in z.namelist() else None
        except zipfile.BadZipFile:
            return None
    if start.startswith(b"<") and _HTML.search(head):
        return "html"
    return "text" if _is_utf8_text(path) else None


def _promised(body: _Body, address: str) -> set[str]:
    kinds = {_BY_SUFFIX.get(PurePosixPath(urlsplit(u).path).suffix.lower()) for u in (address, body.url)}
    kinds.add(_BY_TYPE.get(body.content_type.split(";")[0].strip().lower()))
    kinds.discard(None)
    return kinds  # type: ignore[return-value]


def _check(path: Path, body: _Body, address: str) -> Kind:
    if body.size == 0:
        raise _Rejected("the server sent an empty body")
    with path.open("rb") as f:
        head = f.read(1024)
        f.seek(max(0, body.size - 1024))
        tail = f.read()
    kind = _sniff(path, head)
    title = _title(path) if kind == "html" else ""
    if title and _ERROR_TITLE.search(title):
        raise _Rejected(f"it is an error page (title {title!r})")
    for wanted in ("pdf", "docx"):
        if wanted in _promised(body, address) and kind != wanted:
            got = f"{_NAMES[kind]} (title {title!r})" if title else _NAMES[kind]
            raise _Rejected(f"the address promised {_NAMES[wanted]} but sent {got}")
    if kind is None:
        raise _Rejected("the content is not a PDF, an HTML page, a Word document or UTF-8 text")
    if kind == "pdf" and b"%%EOF" not in tail:
        raise _Rejected("the PDF is truncated (no %%EOF at its end)")
    return kind


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _current_copy(dest: Path, source_id: str) -> Path | None:
    return next((p for k in KINDS if (p := dest / f"{source_id}{SUFFIX[k]}").exists()), None)


def _fetch_checked(client: httpx.Client, source: Source, part: Path, settings: FetchSettings, progress: Progress,
                   pinned: str | None) -> tuple[Kind, str, int]:
    while True:
        body = _download(client, source, part, settings, progress)
        try:
            kind = _check(part, body, source.address)
        except _Rejected as exc:
            part.unlink(missing_ok=True)
            if body.resumed:
                continue  # the kept .part may be the start of an older version: once more, from zero
            kept = "the previous copy is kept" if _current_copy(part.parent, source.id) else "nothing was saved"
            raise FetchError(f"rejected the download of {source.id} from {source.address}: {exc}; {kept}; check the "
                             f"address in corpus/sources.toml, or {_local(source.id)}") from None
        sha = _sha256(part)
        if body.resumed and pinned and sha != pinned:
            # A resumed file that differs may be two versions spliced together: confirm from zero.
            part.unlink()
            continue
        return kind, sha, body.size


def fetch_one(source: Source, folder: Path, lock_path: Path, settings: FetchSettings, *, accept_changed: bool = False,
              progress: Progress = noop) -> FetchResult:
    """Download `source` into `folder/<id>/<id>.<kind>` and record or check its checksum in `lock_path`."""
    import httpx

    url = _address(source)
    source = replace(source, address=url)
    lock = read_lock(lock_path)
    pinned = lock.get(source.id)
    dest = folder / source.id
    part = dest / f"{source.id}.part"
    try:
        dest.mkdir(parents=True, exist_ok=True)
        with httpx.Client(timeout=httpx.Timeout(settings.timeout), follow_redirects=True,
                          headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}) as client:
            kind, sha, size = _fetch_checked(client, source, part, settings, progress, pinned and pinned.get("sha256"))
        final = dest / f"{source.id}{SUFFIX[kind]}"
        if pinned and pinned.get("sha256") == sha:
            status: Status = "unchanged"
            if pinned.get("url") != url:
                lock[source.id] = {**pinned, "url": url}
                _write_lock(lock_path, lock)
            os.replace(part, final)  # same bytes; restores the copy if it was deleted or damaged
        elif pinned and not accept_changed:
            part.unlink(missing_ok=True)
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
            os.replace(part, final)
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
