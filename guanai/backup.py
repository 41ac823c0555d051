"""``guanai node|aggregator backup`` and ``restore``: the store and its keys, in one file.

A backup is a gzip'd tar, mode 0600 — it holds private keys, keep it as secret as they are:

- ``store.db``: a consistent copy of the SQLite store made with SQLite's online backup API, so
  it may be taken while the node or the aggregator is running (writers wait a moment; what
  was committed before the copy began is in it, nothing half-written is);
- ``keys/<suffix>``: every key file beside the store (``<db>.signing.key``, …);
- ``manifest.json``: the role, whose store it is, when, the guanai version, and the SHA-256 of
  every other member, checked before anything is restored.

Restoring writes the store and its keys to the configured place and never overwrites: a
store or key file already there is refused, so a mistaken restore cannot destroy anything.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC
from importlib.metadata import version
from pathlib import Path

import click

from common import sqlitefile
from common.clock import SYSTEM, stamp
from common.errors import GuanaiError

FORMAT = "guanai-backup-1"
STORE = "store.db"
MANIFEST = "manifest.json"
KEYS = "keys/"
_ROLE_KEYS = {"node": ("school_id", "region_code"), "aggregator": ("region", "level")}


class BackupError(GuanaiError):
    """A backup that cannot be made, read or restored as asked."""


@dataclass(frozen=True)
class Manifest:
    role: str
    owner: dict[str, str]  # school_id and region_code, or region and level
    created: str
    guanai_version: str
    files: dict[str, str]  # member name → SHA-256 hex

    def describe(self) -> str:
        return f"{self.role} {' '.join(self.owner.values())}, {self.created}"


def key_files(db: Path) -> list[Path]:
    """The key files beside the store: ``<db>.*key*`` (signing, sealing, rotated ones)."""
    return sorted(p for p in db.parent.glob(f"{db.name}.*key*") if p.is_file())


def backup(db: Path, role: str, out: Path) -> tuple[Manifest, Path]:
    """Back the store ``db`` and its key files up to ``out``: a new file, or a folder to
    write one in (named by role, owner and time); return the manifest and the file."""
    if not db.is_file():
        raise BackupError(f"找不到数据库 no store at {db}")
    with tempfile.TemporaryDirectory(prefix="guanai-backup-") as tmp:
        copy = Path(tmp) / STORE
        _copy_store(db, copy)
        owner = _owner(copy, role, db)
        members = {STORE: copy.read_bytes()}
        for key in key_files(db):
            members[KEYS + key.name[len(db.name):]] = key.read_bytes()
    manifest = Manifest(role, owner, stamp(SYSTEM.now()),
                        version("guanai"),
                        {name: hashlib.sha256(data).hexdigest() for name, data in members.items()})
    members[MANIFEST] = json.dumps({"format": FORMAT, **manifest.__dict__}, ensure_ascii=False,
                                   indent=1).encode()
    if out.is_dir():
        when = SYSTEM.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = out / f"guanai-{role}-{'-'.join(owner.values())}-{when}.tar.gz"
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"文件已存在 {out} already exists; a backup never overwrites") from None
    except OSError as exc:
        raise BackupError(f"无法写入 cannot write {out}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, data in [(MANIFEST, members.pop(MANIFEST)), *members.items()]:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o600, int(SYSTEM.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
        raw.flush()
        os.fsync(raw.fileno())
    return manifest, out


def _copy_store(db: Path, copy: Path) -> None:
    try:
        sqlitefile.copy(db, copy)
    except sqlitefile.SqliteFileError as exc:
        raise BackupError(str(exc)) from None


def _owner(store: Path, role: str, shown: Path) -> dict[str, str]:
    """Whose store it is, from its meta table; BackupError if it is not a ``role`` store."""
    try:
        meta = sqlitefile.checked_meta(store)
    except sqlitefile.SqliteFileError as exc:
        raise BackupError(f"{shown}: {exc}") from None
    owner = {k: meta[k] for k in _ROLE_KEYS[role] if k in meta}
    if len(owner) != len(_ROLE_KEYS[role]):
        raise BackupError(f"不是{'学校节点' if role == 'node' else '汇总节点'}数据库 {shown} is not "
                          f"a set-up {role} store")
    return owner


def read_manifest(tar: tarfile.TarFile, path: Path) -> Manifest:
    try:
        data = json.loads(_member(tar, MANIFEST, path))
        if data.pop("format", FORMAT) != FORMAT:
            raise ValueError("unknown format")
        return Manifest(**data)
    except (ValueError, TypeError) as exc:
        raise BackupError(f"备份文件损坏 {path}: bad manifest ({exc})") from None


def _member(tar: tarfile.TarFile, name: str, path: Path) -> bytes:
    try:
        member = tar.getmember(name)
        extracted = tar.extractfile(member) if member.isfile() else None
    except KeyError:
        extracted = None
    if extracted is None:
        raise BackupError(f"备份文件损坏 {path} has no {name}")
    return extracted.read()


def restore(path: Path, role: str, db: Path) -> Manifest:
    """Write the backup's store to ``db`` and its keys beside it; nothing is overwritten."""
    try:
        tar = tarfile.open(path, mode="r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"无法读取备份 cannot read backup {path}: {exc}") from None
    with tar:
        manifest = read_manifest(tar, path)
        if manifest.role != role:
            raise BackupError(f"角色不符 {path} is a backup of a {manifest.role}, not of a {role}")
        members = {name: _member(tar, name, path) for name in manifest.files}
    for name, data in members.items():
        if hashlib.sha256(data).hexdigest() != manifest.files[name] or not (
                name == STORE or (name.startswith(KEYS) and "/" not in name[len(KEYS):])):
            raise BackupError(f"备份文件损坏 {path}: {name} does not match its manifest")
    if STORE not in members:
        raise BackupError(f"备份文件损坏 {path} has no store")
    targets = {name: Path(f"{db}{name[len(KEYS):]}") for name in members if name != STORE}
    taken = [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), *targets.values())
             if p.exists()]
    if taken:
        raise BackupError(f"将覆盖 restoring would overwrite {taken[0]}: move the old store and "
                          "its key files away first (a restore never overwrites)")
    db.parent.mkdir(parents=True, exist_ok=True)
    partial = db.with_name(db.name + ".restoring")
    partial.unlink(missing_ok=True)
    _write_new(partial, members[STORE])
    try:
        _owner(partial, role, path)
        for name, target in targets.items():
            _write_new(target, members[name])
    except BaseException:
        partial.unlink()
        raise
    partial.rename(db)
    return manifest


def _write_new(path: Path, data: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise BackupError(f"无法写入 cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def commands(role: str) -> list[click.Command]:
    """The ``backup`` and ``restore`` commands of ``guanai node`` or ``guanai aggregator``."""

    @click.command("backup")
    @click.option("--out", type=click.Path(path_type=Path), default=".", show_default=True,
                  help="备份文件 The backup file to write, or a folder to write it in (named by role, "
                       "owner and time).")
    @click.pass_obj
    def backup_command(db: Path, out: Path) -> None:
        """备份 Copy the store (consistent while running) and its keys to one file."""
        manifest, target = backup(db, role, out)
        click.echo(f"已备份 backed up {manifest.describe()} → {target} "
                   f"({len(manifest.files) - 1} key file(s); mode 0600: it holds private keys)")

    @click.command("restore")
    @click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.pass_obj
    def restore_command(db: Path, backup_file: Path) -> None:
        """恢复 Restore a backup's store and keys to this --db (never overwrites)."""
        manifest = restore(backup_file, role, db)
        click.echo(f"已恢复 restored {manifest.describe()} → {db} and "
                   f"{len(manifest.files) - 1} key file(s) beside it")

    return [backup_command, restore_command]
