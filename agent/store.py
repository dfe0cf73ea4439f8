"""SQLite store of chat sessions: one row per session, one per turn (append-only), one per file.

A turn row holds the whole turn as JSON (its messages, tool calls and the song state after
it), so a session resumes from its rows alone.  /undo marks the last kept turn undone
rather than deleting it, like a log.  Schema changes are an ordered list of migrations
(simonw/llm's pattern), recorded with PRAGMA user_version.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import AgentError

MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = []
migration = MIGRATIONS.append


@migration
def _create(db: sqlite3.Connection) -> None:
    db.executescript("""
        CREATE TABLE sessions (id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL NOT NULL,
                               model TEXT NOT NULL, out_dir TEXT NOT NULL);
        CREATE TABLE turns (session_id TEXT NOT NULL REFERENCES sessions(id), idx INTEGER NOT NULL,
                            kind TEXT NOT NULL, created REAL NOT NULL, undone INTEGER NOT NULL DEFAULT 0,
                            text TEXT NOT NULL, reply TEXT NOT NULL, data TEXT NOT NULL,
                            PRIMARY KEY (session_id, idx));
        CREATE TABLE files (session_id TEXT NOT NULL, turn INTEGER NOT NULL, kind TEXT NOT NULL, path TEXT NOT NULL);
    """)


class SessionStore:
    """One SQLite file; safe to share between threads (one connection behind a lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._migrate()
        except (OSError, sqlite3.Error) as err:
            raise AgentError(f"cannot open the sessions database {self.path}: {err}") from err
        self._lock = threading.Lock()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            with self._db:
                step(self._db)
                self._db.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        self._db.close()

    def _run(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            with self._lock, self._db:
                return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as err:
            raise AgentError(f"sessions database {self.path}: {err}") from err

    def create_session(self, session_id: str, *, model: str, out_dir: Path) -> None:
        now = time.time()
        self._run("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", (session_id, now, now, model, str(out_dir)))

    def set_model(self, session_id: str, model: str) -> None:
        self._run("UPDATE sessions SET model = ?, updated = ? WHERE id = ?", (model, time.time(), session_id))

    def session(self, session_id: str) -> dict[str, Any]:
        rows = self._run("SELECT id, created, updated, model, out_dir FROM sessions WHERE id = ?", (session_id,))
        if not rows:
            raise AgentError(f"no session {session_id!r} in {self.path} (`tunesmith chat -c` resumes the latest)")
        return dict(zip(("id", "created", "updated", "model", "out_dir"), rows[0]))

    def latest_session(self) -> str | None:
        rows = self._run("SELECT id FROM sessions ORDER BY updated DESC, rowid DESC LIMIT 1")
        return rows[0][0] if rows else None

    def list_sessions(self, *, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._run("""SELECT s.id, s.updated, s.model, COUNT(t.idx) FROM sessions s
                            LEFT JOIN turns t ON t.session_id = s.id AND t.undone = 0
                            GROUP BY s.id ORDER BY s.updated DESC LIMIT ?""", (limit,))
        return [dict(zip(("id", "updated", "model", "turns"), row)) for row in rows]

    def next_index(self, session_id: str) -> int:
        """The index a new turn gets: after every turn ever stored, undone ones included."""
        return self._run("SELECT COALESCE(MAX(idx), 0) + 1 FROM turns WHERE session_id = ?", (session_id,))[0][0]

    def add_turn(self, session_id: str, *, index: int, kind: str, text: str, reply: str, data: dict[str, Any],
                 files: list[tuple[str, str]]) -> None:
        now = time.time()
        blob = json.dumps(data, ensure_ascii=False)
        try:
            with self._lock, self._db:
                self._db.execute("INSERT INTO turns VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
                                 (session_id, index, kind, now, text, reply, blob))
                self._db.executemany("INSERT INTO files VALUES (?, ?, ?, ?)",
                                     [(session_id, index, kind_, path) for kind_, path in files])
                self._db.execute("UPDATE sessions SET updated = ? WHERE id = ?", (now, session_id))
        except sqlite3.Error as err:
            raise AgentError(f"cannot save the turn in {self.path}: {err}") from err

    def undo_last(self, session_id: str) -> int | None:
        """Mark the last kept turn undone; its index, or None when nothing is left to undo."""
        rows = self._run("SELECT MAX(idx) FROM turns WHERE session_id = ? AND undone = 0", (session_id,))
        index = rows[0][0]
        if index is not None:
            self._run("UPDATE turns SET undone = 1 WHERE session_id = ? AND idx = ?", (session_id, index))
        return index

    def kept_turns(self, session_id: str) -> list[dict[str, Any]]:
        """The JSON data of the turns not undone, oldest first."""
        rows = self._run("SELECT data FROM turns WHERE session_id = ? AND undone = 0 ORDER BY idx", (session_id,))
        return [json.loads(data) for (data,) in rows]

    def files(self, session_id: str) -> list[tuple[int, str, str]]:
        return self._run("SELECT turn, kind, path FROM files WHERE session_id = ? ORDER BY turn, rowid", (session_id,))
