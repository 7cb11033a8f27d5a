"""The local NDEx server's state: metadata in SQLite, network bodies as files on disk.

Layout of the data directory: `ndex.sqlite3` (users, networks, permissions) and
`networks/<uuid>/network.cx` (the CX body exactly as uploaded, like ndex-rest's `data/<uuid>/`).
Uploads are written to `tmp/` and moved into place with os.replace, so a reader never sees half a
file and a download that started before an update keeps reading the old body.

One SQLite connection guarded by a lock: requests come from werkzeug's threads and the loader
threads, and every statement is short, so a lock is simpler than a connection per thread and as
fast here. Permission rules are ndex-rest's (PostgresNetworkDAO): the owner is the only ADMIN
(granting ADMIN transfers ownership and leaves the old owner WRITE); WRITE comes from the owner or
a WRITE grant; READ from visibility PUBLIC or any grant.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .cx import CxSummary

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE, salt TEXT NOT NULL,
    password_hash TEXT NOT NULL, creation_time INTEGER NOT NULL, modification_time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS networks (
    id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, owner TEXT NOT NULL,
    name TEXT, description TEXT, version TEXT, node_count INTEGER NOT NULL DEFAULT 0,
    edge_count INTEGER NOT NULL DEFAULT 0, properties TEXT NOT NULL DEFAULT '[]', provenance TEXT,
    warnings TEXT NOT NULL DEFAULT '[]', visibility TEXT NOT NULL DEFAULT 'PRIVATE',
    read_only INTEGER NOT NULL DEFAULT 0, is_valid INTEGER NOT NULL DEFAULT 0, error_message TEXT,
    indexed INTEGER NOT NULL DEFAULT 0, locked INTEGER NOT NULL DEFAULT 0,
    creation_time INTEGER NOT NULL, modification_time INTEGER NOT NULL,
    cx_file_size INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS permissions (
    network_id TEXT NOT NULL, user_id TEXT NOT NULL, permission TEXT NOT NULL,
    PRIMARY KEY (network_id, user_id));
"""

PERMISSIONS = ("READ", "WRITE", "ADMIN")


def now_ms() -> int:
    return int(time.time() * 1000)


def _hash(salt: str, password: str) -> str:
    return hashlib.sha256((salt + "\0" + password).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class User:
    """One account: `id` is its UUID (NDEx's externalId), times in epoch ms."""

    id: str
    username: str
    creation_time: int
    modification_time: int

    def as_json(self) -> dict[str, Any]:
        """The user object of `GET /v2/user` (fields as the ndex2 client documents them)."""
        return {
            "properties": {},
            "isIndividual": True,
            "userName": self.username,
            "isVerified": True,
            "firstName": self.username,
            "lastName": "",
            "emailAddress": f"{self.username}@localhost.invalid",
            "diskQuota": 10_000_000_000,
            "diskUsed": 0,
            "externalId": self.id,
            "isDeleted": False,
            "modificationTime": self.modification_time,
            "creationTime": self.creation_time,
        }


class Storage:
    """Users, networks and permissions of one data directory. Thread-safe."""

    def __init__(self, data_dir: str) -> None:
        self.data_dir = os.path.abspath(data_dir)
        os.makedirs(os.path.join(self.data_dir, "networks"), exist_ok=True)
        os.makedirs(os.path.join(self.data_dir, "tmp"), exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            os.path.join(self.data_dir, "ndex.sqlite3"), check_same_thread=False, isolation_level=None
        )
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
            # A load that was running when the server stopped never finishes: say so.
            self._db.execute(
                "UPDATE networks SET is_valid=1, locked=0, error_message='Loading was interrupted by a server stop.'"
                " WHERE is_valid=0"
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    # -- users ---------------------------------------------------------------------------------

    def put_user(self, username: str, password: str) -> User:
        """Create the account, or set its password when it exists."""
        salt = secrets.token_hex(8)
        t = now_ms()
        with self._lock:
            row = self._query("SELECT id FROM users WHERE username=?", (username,))
            if row:
                self._exec(
                    "UPDATE users SET salt=?, password_hash=?, modification_time=? WHERE id=?",
                    (salt, _hash(salt, password), t, row[0]["id"]),
                )
            else:
                self._exec(
                    "INSERT INTO users VALUES (?,?,?,?,?,?)",
                    (str(uuid.uuid4()), username, salt, _hash(salt, password), t, t),
                )
        user = self.user_by_name(username)
        assert user is not None
        return user

    def _user(self, rows: list[sqlite3.Row]) -> User | None:
        if not rows:
            return None
        r = rows[0]
        return User(r["id"], r["username"], r["creation_time"], r["modification_time"])

    def user_by_name(self, username: str) -> User | None:
        return self._user(self._query("SELECT * FROM users WHERE username=?", (username,)))

    def user_by_id(self, user_id: str) -> User | None:
        return self._user(self._query("SELECT * FROM users WHERE id=?", (user_id,)))

    def check_password(self, username: str, password: str) -> bool | None:
        """True or False, or None when there is no such user."""
        rows = self._query("SELECT salt, password_hash FROM users WHERE username=?", (username,))
        if not rows:
            return None
        return secrets.compare_digest(_hash(rows[0]["salt"], password), rows[0]["password_hash"])

    def user_count(self) -> int:
        return int(self._query("SELECT count(*) FROM users")[0][0])

    # -- network bodies -----------------------------------------------------------------------

    def cx_path(self, network_id: str) -> str:
        return os.path.join(self.data_dir, "networks", network_id, "network.cx")

    def new_tmp_path(self) -> str:
        return os.path.join(self.data_dir, "tmp", f"upload-{uuid.uuid4().hex}.cx")

    def install_body(self, network_id: str, tmp_path: str) -> int:
        """Move an uploaded body into place (atomically); returns its size in bytes."""
        os.makedirs(os.path.dirname(self.cx_path(network_id)), exist_ok=True)
        size = os.path.getsize(tmp_path)
        os.replace(tmp_path, self.cx_path(network_id))
        return size

    # -- networks -----------------------------------------------------------------------------

    def network_count(self) -> int:
        return int(self._query("SELECT count(*) FROM networks")[0][0])

    def network(self, network_id: str) -> sqlite3.Row | None:
        rows = self._query("SELECT * FROM networks WHERE id=?", (network_id,))
        return rows[0] if rows else None

    def create_network(self, owner: User, tmp_path: str, visibility: str | None, network_id: str | None = None) -> str:
        """A new network entry, locked and not yet valid, owning the uploaded body (ndex-rest's
        CreateEmptyNetworkEntry: PRIVATE until the load applies the requested visibility).
        `network_id`: a given UUID (seeding a demo with known ids), else a new random one."""
        network_id = str(uuid.UUID(network_id)) if network_id else str(uuid.uuid4())
        size = self.install_body(network_id, tmp_path)
        t = now_ms()
        self._exec(
            "INSERT INTO networks (id, owner_id, owner, visibility, locked, creation_time, modification_time,"
            " cx_file_size) VALUES (?,?,?,?,1,?,?,?)",
            (network_id, owner.id, owner.username, "PRIVATE", t, t, size),
        )
        return network_id

    def start_update(self, network_id: str, tmp_path: str) -> None:
        """Replace the body of an existing network and mark it loading (ndex-rest's
        clearNetworkSummary + file move)."""
        size = self.install_body(network_id, tmp_path)
        self._exec(
            "UPDATE networks SET is_valid=0, locked=1, error_message=NULL, cx_file_size=?, modification_time=?"
            " WHERE id=?",
            (size, now_ms(), network_id),
        )

    def try_lock(self, network_id: str) -> bool:
        """Take the network's update lock; False when another update holds it."""
        return self._exec("UPDATE networks SET locked=1 WHERE id=? AND locked=0", (network_id,)) == 1

    def unlock(self, network_id: str) -> None:
        self._exec("UPDATE networks SET locked=0 WHERE id=?", (network_id,))

    def finish_load(self, network_id: str, summary: CxSummary, visibility: str | None) -> None:
        """The load succeeded: store the summary, make the network valid and searchable."""
        with self._lock:
            args: tuple[Any, ...] = (
                summary.name,
                summary.description,
                summary.version,
                summary.node_count,
                summary.edge_count,
                json.dumps(summary.properties),
                json.dumps(summary.warnings),
                now_ms(),
                network_id,
            )
            self._exec(
                "UPDATE networks SET name=?, description=?, version=?, node_count=?, edge_count=?, properties=?,"
                " warnings=?, modification_time=?, is_valid=1, error_message=NULL, indexed=1, locked=0 WHERE id=?",
                args,
            )
            if summary.provenance is not None:
                self._exec(
                    "UPDATE networks SET provenance=? WHERE id=?", (json.dumps(summary.provenance), network_id)
                )
            if visibility:
                self._exec("UPDATE networks SET visibility=? WHERE id=?", (visibility, network_id))

    def fail_load(self, network_id: str, message: str) -> None:
        """The load failed: ndex-rest's CXNetworkLoadingTask sets is_validated, clears readonly,
        makes the network PRIVATE and records the error message."""
        self._exec(
            "UPDATE networks SET is_valid=1, read_only=0, visibility='PRIVATE', error_message=?, locked=0"
            " WHERE id=?",
            (message, network_id),
        )

    def set_flag(self, network_id: str, column: str, value: Any) -> None:
        assert column in ("read_only", "visibility", "provenance")
        self._exec(f"UPDATE networks SET {column}=? WHERE id=?", (value, network_id))

    # -- permissions --------------------------------------------------------------------------

    def grant(self, network_id: str, user_id: str) -> str | None:
        rows = self._query("SELECT permission FROM permissions WHERE network_id=? AND user_id=?", (network_id, user_id))
        return rows[0]["permission"] if rows else None

    def can_read(self, net: sqlite3.Row, user: User | None) -> bool:
        if net["visibility"] in ("PUBLIC", "UNLISTED"):
            return True
        if user is None:
            return False
        return net["owner_id"] == user.id or self.grant(net["id"], user.id) is not None

    def can_write(self, net: sqlite3.Row, user: User | None) -> bool:
        if user is None:
            return False
        return net["owner_id"] == user.id or self.grant(net["id"], user.id) == "WRITE"

    def is_admin(self, net: sqlite3.Row, user: User | None) -> bool:
        return user is not None and net["owner_id"] == user.id

    def set_permission(self, network_id: str, user: User, permission: str) -> int:
        """Grant `permission` (READ, WRITE or ADMIN) to `user`; ADMIN transfers ownership."""
        with self._lock:
            net = self.network(network_id)
            assert net is not None
            if net["owner_id"] == user.id:
                return 0 if permission == "ADMIN" else -1
            if permission == "ADMIN":
                self._exec("UPDATE networks SET owner_id=?, owner=? WHERE id=?", (user.id, user.username, network_id))
                self._exec("DELETE FROM permissions WHERE network_id=? AND user_id=?", (network_id, user.id))
                self._exec(
                    "INSERT OR REPLACE INTO permissions VALUES (?,?,?)", (network_id, net["owner_id"], "WRITE")
                )
            else:
                self._exec("INSERT OR REPLACE INTO permissions VALUES (?,?,?)", (network_id, user.id, permission))
            return 1

    def delete_permission(self, network_id: str, user_id: str) -> int:
        return self._exec("DELETE FROM permissions WHERE network_id=? AND user_id=?", (network_id, user_id))

    def permissions(self, network_id: str) -> dict[str, str]:
        """userId -> permission, the owner included as ADMIN."""
        net = self.network(network_id)
        out = {net["owner_id"]: "ADMIN"} if net is not None else {}
        for r in self._query("SELECT user_id, permission FROM permissions WHERE network_id=?", (network_id,)):
            out[r["user_id"]] = r["permission"]
        return out

    # -- search -------------------------------------------------------------------------------

    def searchable(self) -> list[sqlite3.Row]:
        """Loaded networks, newest modification first (Solr's order for `*`)."""
        return self._query("SELECT * FROM networks WHERE indexed=1 ORDER BY modification_time DESC, id")

    def summary(self, net: sqlite3.Row) -> dict[str, Any]:
        """The NetworkSummary JSON of ndex-rest (`GET /v2/network/{id}/summary`)."""
        out: dict[str, Any] = {
            "ownerUUID": net["owner_id"],
            "isReadOnly": bool(net["read_only"]),
            "subnetworkIds": [],
            "isValid": bool(net["is_valid"]),
            "warnings": json.loads(net["warnings"]),
            "isShowcase": False,
            "isCertified": False,
            "indexLevel": "ALL" if net["indexed"] else "NONE",
            "hasLayout": False,
            "hasSample": False,
            "cxFileSize": net["cx_file_size"],
            "cx2FileSize": 0,
            "visibility": net["visibility"],
            "nodeCount": net["node_count"],
            "edgeCount": net["edge_count"],
            "completed": bool(net["is_valid"]) and not net["locked"],
            "version": net["version"],
            "owner": net["owner"],
            "description": net["description"],
            "name": net["name"],
            "properties": json.loads(net["properties"]),
            "externalId": net["id"],
            "isDeleted": False,
            "modificationTime": net["modification_time"],
            "creationTime": net["creation_time"],
        }
        if net["error_message"] is not None:
            out["errorMessage"] = net["error_message"]
        return {k: v for k, v in out.items() if v is not None}
