"""What every ``banjian`` command shares: its settings, and running its coroutine."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import typer

from banjian.embedded import EmbeddedServerError
from banjian.log import configure_logging
from banjian.settings import Settings, get_settings
from banjian.stack import StackNotRunning
from privacy import KeyRingError, PayloadDecryptionError

T = TypeVar("T")


def command_settings() -> Settings:
    settings = get_settings()
    configure_logging(settings)
    return settings


def run_command(coro: Awaitable[T]) -> T:
    """Run a command's coroutine, turning the expected failures into a message and exit 1."""

    async def main() -> T:
        return await coro

    try:
        return asyncio.run(main())
    except (StackNotRunning, EmbeddedServerError, KeyRingError, PayloadDecryptionError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
