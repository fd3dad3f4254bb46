"""Saving and loading fitted recommenders: a joblib artifact plus a JSON metadata sidecar.

``recommender-<UTC stamp>.joblib`` and ``recommender-<UTC stamp>.json`` are written to temporary
names and renamed into place (the JSON last), so a reader never sees half a file and
``latest`` only lists complete artifacts. ``load`` reads the JSON first and refuses, before
unpickling anything, an artifact written by another scikit-learn version.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import joblib
import sklearn

from .model import FORMAT, Recommender

PREFIX = "recommender-"
_NAME = re.compile(r"^recommender-(\d{8}T\d{6}(?:\d{6})?Z)\.joblib$")


class IncompatibleArtifact(Exception):
    """The artifact cannot be used by this installation (retrain it)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def save(recommender: Recommender, directory: str | os.PathLike) -> Path:
    """Writes the artifact and its metadata atomically; returns the .joblib path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    moment = datetime.now(UTC)
    while True:   # two saves within one microsecond get consecutive stamps
        target = directory / f"{PREFIX}{moment.strftime('%Y%m%dT%H%M%S%fZ')}.joblib"
        if not target.exists():
            break
        moment += timedelta(microseconds=1)
    # uncompressed: the arrays barely compress (409 → 247 MB at 50,000 long listings) and zlib
    # made saving 13x and loading 4x slower
    _atomic_write(target, lambda handle: joblib.dump(recommender, handle, compress=0))
    text = json.dumps(recommender.metadata, ensure_ascii=False, indent=2, sort_keys=True)
    _atomic_write(target.with_suffix(".json"), lambda handle: handle.write(text.encode()))
    return target


def _atomic_write(path: Path, write) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def latest(directory: str | os.PathLike) -> Path | None:
    """The newest complete artifact in ``directory`` (by the stamp in its name), or None."""
    directory = Path(directory)
    if not directory.is_dir():
        return None
    found = []
    for path in directory.glob(f"{PREFIX}*.joblib"):
        match = _NAME.match(path.name)
        if match and path.with_suffix(".json").exists():
            found.append((match.group(1), path))
    return max(found)[1] if found else None


def prune(directory: str | os.PathLike, keep: int = 3) -> list[Path]:
    """Deletes all but the ``keep`` newest artifacts (and their metadata); returns the deleted."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = sorted((match.group(1), path) for path in directory.glob(f"{PREFIX}*.joblib")
                   if (match := _NAME.match(path.name)))
    doomed = [path for _, path in found[:max(len(found) - keep, 0)]]
    for path in doomed:
        path.with_suffix(".json").unlink(missing_ok=True)   # first: latest() skips it at once
        path.unlink(missing_ok=True)
    return doomed


def read_metadata(path: str | os.PathLike) -> dict:
    sidecar = Path(path).with_suffix(".json")
    try:
        return json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IncompatibleArtifact(f"cannot read the metadata of {Path(path).name}: {error}; "
                                   "run `flask matching train`") from error


def load(path: str | os.PathLike) -> Recommender:
    """The recommender saved at ``path``; IncompatibleArtifact if it was written elsewise."""
    metadata = read_metadata(path)
    written_by = metadata.get("sklearn_version")
    if written_by != sklearn.__version__:
        raise IncompatibleArtifact(
            f"{Path(path).name} was written by scikit-learn {written_by}, this is "
            f"{sklearn.__version__}: run `flask matching train`")
    if metadata.get("format") != FORMAT:
        raise IncompatibleArtifact(
            f"{Path(path).name} was written by another version of the recommender (format "
            f"{metadata.get('format')}, this is {FORMAT}): run `flask matching train`")
    recommender = joblib.load(path)
    if not isinstance(recommender, Recommender):
        raise IncompatibleArtifact(f"{Path(path).name} does not hold a Recommender; "
                                   "run `flask matching train`")
    return recommender
