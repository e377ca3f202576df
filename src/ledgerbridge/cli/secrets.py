"""``secrets rotate``: re-encrypt every stored connection secret under a new key."""

from __future__ import annotations

from typing import Annotated

import typer

from ledgerbridge.cli.common import DatabaseUrl, JsonOutput, console, handles_errors, print_json
from ledgerbridge.runtime import Runtime
from ledgerbridge.services.secrets_rotation import rotate

secrets_app = typer.Typer(help="The key that encrypts connection secrets.", no_args_is_help=True)


@secrets_app.command("rotate")
@handles_errors
def rotate_command(
    new_key: Annotated[
        str | None, typer.Option(help="The new Fernet key (default: a fresh one).")
    ] = None,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Re-encrypt connection secrets; updates the key file, or prints the key to set."""
    runtime = Runtime.load(database_url)
    from_env = runtime.settings.secret_key is not None
    key, count = rotate(
        runtime.db,
        runtime.box,
        new_key=new_key.encode() if new_key else None,
        key_file=None if from_env else runtime.settings.key_file,
    )
    if json_output:
        print_json(
            {
                "connections": count,
                "key_file": None if from_env else str(runtime.settings.key_file),
                "new_key": key.decode() if from_env else None,
            }
        )
    elif from_env:
        console.print(
            f"Re-encrypted {count} connection(s). Set LEDGERBRIDGE_SECRET_KEY to the "
            "new key on every process now:"
        )
        console.print(key.decode(), markup=False, highlight=False)
    else:
        console.print(
            f"Re-encrypted {count} connection(s); {runtime.settings.key_file} holds "
            "the new key (the old one is kept as .old until you delete it)."
        )
