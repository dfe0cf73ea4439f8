"""SQLite store of chat sessions: one row per session, one per turn (append-only), one per file.

A turn row holds the whole turn as JSON (its messages, tool calls and the song state after
it), so a session resumes from its rows alone.  /undo marks the last kept turn undone
rather than deleting it, like a log.  Schema changes are an ordered list of migrations
(simonw/llm's pattern), recorded with PRAGMA user_version.

Several processes may share the file (two `chat -c` on one session, two first-time `run`s):
WAL with a busy timeout lets them wait for each other instead of failing; the schema is made
in one IMMEDIATE transaction that reads user_version inside it, with IF NOT EXISTS; a turn's
index is taken inside the transaction that inserts it, so two writers never clash on one
index and neither loses its turn.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import AgentError

BUSY_TIMEOUT_S = 30.0  # how long a writer waits for another process's transaction
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = []
migration = MIGRATIONS.append


@migration
def _create(db: sqlite3.Connection) -> None:
    for statement in """
        CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL NOT NULL,
                               model TEXT NOT NULL, out_dir TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS turns (session_id TEXT NOT NULL REFERENCES sessions(id), idx INTEGER NOT NULL,
                            kind TEXT NOT NULL, created REAL NOT NULL, undone INTEGER NOT NULL DEFAULT 0,
                            text TEXT NOT NULL, reply TEXT NOT NULL, data TEXT NOT NULL,
                            PRIMARY KEY (session_id, idx));
        CREATE TABLE IF NOT EXISTS files (session_id TEXT NOT NULL, turn INTEGER NOT NULL, kind TEXT NOT NULL, path TEXT NOT NULL);
    """.split(";"):
        if statement.strip():
            db.execute(statement)  # not executescript: it commits, and the migration is one transaction


def _wal(db: sqlite3.Connection) -> None:
    """Switch to WAL, retrying while another process holds the lock: SQLite answers a journal-mode
    change on a busy fresh file with "database is locked" at once, without its busy handler."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class SessionStore:
    """One SQLite file; safe to share between threads (one connection behind a lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: transactions are begun here, explicitly (BEGIN IMMEDIATE)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=BUSY_TIMEOUT_S,
                                       isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            _wal(self._db)
            self._migrate()
        except (OSError, sqlite3.Error) as err:
            raise AgentError(f"cannot open the sessions database {self.path}: {err}") from err

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: the write lock is taken at BEGIN (waiting up to the busy
        timeout), so a read inside it cannot be overtaken by another writer."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
                step(db)
                db.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        self._db.close()

    def _run(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            with self._write() as db:
                return db.execute(sql, args).fetchall()
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

    def overview(self, *, limit: int = 20) -> list[dict[str, Any]]:
        """The sessions newest first (by last change: the first is the one `chat -c` resumes), each with
        its kept turns and the text of the last one ('' when none): what `tunesmith sessions` lists."""
        rows = self._run("""SELECT s.id, s.created, s.updated, s.model, s.out_dir,
                                   (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id AND t.undone = 0),
                                   COALESCE((SELECT t.text FROM turns t WHERE t.session_id = s.id AND t.undone = 0
                                             ORDER BY t.idx DESC LIMIT 1), '')
                            FROM sessions s ORDER BY s.updated DESC, s.rowid DESC LIMIT ?""", (limit,))
        return [dict(zip(("id", "created", "updated", "model", "out_dir", "turns", "last"), row)) for row in rows]

    def next_index(self, session_id: str) -> int:
        """The index a new turn gets: after every turn ever stored, undone ones included."""
        return self._run("SELECT COALESCE(MAX(idx), 0) + 1 FROM turns WHERE session_id = ?", (session_id,))[0][0]

    def add_turn(self, session_id: str, *, index: int, kind: str, text: str, reply: str, data: dict[str, Any],
                 files: list[tuple[str, str]]) -> int:
        """Append a turn; the index it was stored under: `index`, or the next free one when another
        process wrote a turn of this session meanwhile (its data's "index" says the same)."""
        now = time.time()
        try:
            with self._write() as db:
                free = db.execute("SELECT COALESCE(MAX(idx), 0) + 1 FROM turns WHERE session_id = ?",
                                  (session_id,)).fetchone()[0]
                stored = max(index, free)
                blob = json.dumps({**data, "index": stored}, ensure_ascii=False)
                db.execute("INSERT INTO turns VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
                           (session_id, stored, kind, now, text, reply, blob))
                db.executemany("INSERT INTO files VALUES (?, ?, ?, ?)",
                               [(session_id, stored, kind_, path) for kind_, path in files])
                db.execute("UPDATE sessions SET updated = ? WHERE id = ?", (now, session_id))
        except sqlite3.Error as err:
            raise AgentError(f"cannot save the turn in {self.path}: {err}") from err
        return stored

    def undo_last(self, session_id: str) -> int | None:
        """Mark the last kept turn undone; its index, or None when nothing is left to undo."""
        rows = self._run("""UPDATE turns SET undone = 1 WHERE session_id = ?1 AND idx =
                            (SELECT MAX(idx) FROM turns WHERE session_id = ?1 AND undone = 0) RETURNING idx""",
                         (session_id,))
        return rows[0][0] if rows else None

    def kept_rows(self, session_id: str) -> list[tuple[int, str]]:
        """(index, stored JSON text) of the turns not undone, oldest first; decoding is the caller's,
        so one damaged row can be reported and skipped."""
        return self._run("SELECT idx, data FROM turns WHERE session_id = ? AND undone = 0 ORDER BY idx", (session_id,))

    def kept_turns(self, session_id: str) -> list[dict[str, Any]]:
        """The JSON data of the turns not undone, oldest first (a row that is not a JSON object is left out)."""
        found = []
        for _, text in self.kept_rows(session_id):
            try:
                data = json.loads(text)
            except (TypeError, ValueError):
                continue
            if isinstance(data, dict):
                found.append(data)
        return found

    def files(self, session_id: str) -> list[tuple[int, str, str]]:
        return self._run("SELECT turn, kind, path FROM files WHERE session_id = ? ORDER BY turn, rowid", (session_id,))
