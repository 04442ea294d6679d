"""What the CI workflow pip-installs: exactly the newsletter that ran ``init``.

The installed distribution says where it came from in its PEP 610 ``direct_url.json``: a
git commit is installed again from that commit, an archive from its URL; anything else (a
release from an index, or a local folder CI cannot reach) as the same version from PyPI.
That file is read as hostile: whatever it holds, the result is one requirement with no
credentials in it, or the version fallback, never a crash.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.metadata import Distribution, PackageNotFoundError, distribution
from urllib.parse import urlsplit, urlunsplit

from newsletter import DISTRIBUTION, __version__
from newsletter.errors import UsageError


@dataclass(frozen=True)
class Install:
    """The requirement, and why it is not where this copy came from (None when it is)."""

    spec: str
    note: str | None = None


# Every character RFC 3986 allows in a URL, nothing else: no space, quote, brace or
# backslash can reach the requirement, whatever direct_url.json holds.
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256
_SUBDIRECTORY = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")
_VERSION = re.compile(r"[A-Za-z0-9.+!_-]{1,64}")  # PEP 440 characters
_VCS_SCHEMES = ("https", "http", "ssh", "git")
_ARCHIVE_SCHEMES = ("https", "http")


def _release(version: str | None) -> str:
    version = version if isinstance(version, str) and _VERSION.fullmatch(version) else None
    return f"{DISTRIBUTION}=={version or __version__}"


def _clean_url(url: object, schemes: tuple[str, ...]) -> str | None:
    """``url`` without credentials, query or fragment when it is one CI can fetch."""
    if not isinstance(url, str) or not _URL_CHARS.fullmatch(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in schemes or not host or parts.query or parts.fragment:
        return None
    # PEP 610 asks installers to strip credentials, but a file can say anything: a token
    # must never land in a committed workflow. Only ssh's conventional 'git@' user stays.
    user = "git@" if parts.scheme == "ssh" and parts.username == "git" else ""
    netloc = f"{user}[{host}]" if ":" in host else f"{user}{host}"
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _from_record(record: object) -> tuple[str | None, str | None]:
    """The direct requirement ``record`` (a parsed direct_url.json) names, or None and why
    CI cannot use it."""
    if not isinstance(record, dict):
        return None, "this copy's install record (direct_url.json) is unreadable"
    url, vcs, archive = record.get("url"), record.get("vcs_info"), record.get("archive_info")
    if (isinstance(url, str) and url.startswith("file:")) or "dir_info" in record:
        return None, ("this copy was installed from a local folder, which CI cannot reach, "
                      "so CI needs that version on PyPI")
    subdirectory = record.get("subdirectory")
    if subdirectory is not None and not (
            isinstance(subdirectory, str) and _SUBDIRECTORY.fullmatch(subdirectory)
            and ".." not in subdirectory.split("/")):
        return None, "this copy's install record names an unusable subdirectory"
    fragment = f"#subdirectory={subdirectory}" if subdirectory else ""
    if isinstance(vcs, dict):
        clean = _clean_url(url, _VCS_SCHEMES)
        commit = vcs.get("commit_id")
        if vcs.get("vcs") != "git" or clean is None or not (
                isinstance(commit, str) and _COMMIT.fullmatch(commit)):
            return None, "this copy was installed from a version-control URL CI cannot use"
        return f"{DISTRIBUTION} @ git+{clean}@{commit}{fragment}", None
    if isinstance(archive, dict):
        clean = _clean_url(url, _ARCHIVE_SCHEMES)
        if clean is None:
            return None, "this copy was installed from an archive URL CI cannot use"
        return f"{DISTRIBUTION} @ {clean}{fragment}", None
    return None, "this copy's install record (direct_url.json) names no source"


def running_install(dist: Distribution | None = None) -> Install:
    """The requirement that installs the newsletter running now (or ``dist``)."""
    if dist is None:
        try:
            dist = distribution(DISTRIBUTION)
        except PackageNotFoundError:  # imported from a source tree that was never installed
            return Install(_release(None))
    try:
        version = dist.version
    except (OSError, UnicodeDecodeError, ValueError):
        version = None
    try:
        text = dist.read_text("direct_url.json")
    except (OSError, UnicodeDecodeError, ValueError):
        return Install(_release(version), "this copy's install record (direct_url.json) "
                       "is unreadable")
    if text is None:  # installed from an index: that release again
        return Install(_release(version))
    try:
        record = json.loads(text)
    except (ValueError, RecursionError):
        record = None
    spec, reason = _from_record(record)
    return Install(spec, None) if spec else Install(_release(version), reason)


def check_spec(spec: str) -> str:
    """``spec`` as given to ``--install``, refused when it cannot be one pip argument on
    one line of the workflow (GitHub would expand a ``${{`` itself, before any shell)."""
    if not spec.strip():
        raise UsageError("--install needs a requirement, e.g. "
                         f"'{DISTRIBUTION}>=0.1,<0.2'")
    if not spec.isprintable():
        raise UsageError("--install must be one line of printable characters, without "
                         "control characters")
    if "${{" in spec:
        raise UsageError("--install cannot contain '${{': GitHub would evaluate it as an "
                         "expression")
    if spec.lstrip().startswith("-"):
        raise UsageError("--install takes a requirement, not a pip option")
    return spec.strip()
