"""Rotating the key that encrypts connection secrets.

Every sealed secret is opened with the current key and sealed again with the new one, in one
transaction: either all connections move to the new key or none does. The new key file is
written beside the old one *before* the commit and moved into place after it, so at no moment
is the database sealed with a key that exists nowhere on disk.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select, update

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.store.database import Database
from ledgerbridge.store.tables import connections
from ledgerbridge.store.unit_of_work import UnitOfWork


def rotate(
    db: Database,
    current: SecretBox,
    *,
    new_key: bytes | None = None,
    key_file: Path | None = None,
    clock: Clock = utcnow,
) -> tuple[bytes, int]:
    """Re-seal every connection secret under ``new_key`` (generated when None).

    With ``key_file`` the new key replaces the file (the old one is kept as ``<file>.old``).
    Returns the new key and how many connections were re-sealed. Raises SecretUnreadable when
    a stored secret does not open with the current key (nothing is changed then).
    """
    key = new_key or Fernet.generate_key()
    fresh = SecretBox(key)
    staged = key_file.with_name(key_file.name + ".new") if key_file else None
    if staged is not None:
        staged.write_bytes(key)
        staged.chmod(0o600)
    with UnitOfWork(db) as uow:
        rows = uow.connection.execute(
            select(
                connections.c.id, connections.c.secret_encrypted, connections.c.api_token_encrypted
            )
        ).all()
        for row in rows:
            token = row.api_token_encrypted
            uow.connection.execute(
                update(connections)
                .where(connections.c.id == row.id)
                .values(
                    secret_encrypted=fresh.seal(current.open(row.secret_encrypted)),
                    api_token_encrypted=fresh.seal(current.open(token)) if token else None,
                )
            )
        uow.audit.append("secrets.rotated", {"connections": len(rows)}, now=clock())
        uow.commit()
    if key_file is not None and staged is not None:
        if key_file.exists():
            os.replace(key_file, key_file.with_name(key_file.name + ".old"))
        os.replace(staged, key_file)
    return key, len(rows)
