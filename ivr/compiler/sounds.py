"""Do the sound files a dialplan names exist?

The compiler asks a `SoundLibrary`; `SoundsDirectory` answers from an Asterisk sounds directory.
The file system is touched only through that object, which the caller hands in (tests can pass
their own).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ivr.compiler.context import FileContext
from ivr.compiler.prompts import AUDIO_EXTENSIONS


class SoundLibrary(Protocol):
    """Where sounds are looked up."""

    def exists(self, name: str, language: str | None) -> bool:
        """Whether sound `name` can be played in `language`."""
        ...

    def describe(self, language: str | None) -> str:
        """Where `exists` looked, for the error message."""
        ...


class SoundsDirectory:
    """An Asterisk sounds directory: `<dir>/<lang>/<name>.<ext>` or `<dir>/<name>.<ext>`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def exists(self, name: str, language: str | None) -> bool:
        """Whether a file with a known audio extension exists for `name`."""
        bases = [self.root / language / name] if language else []
        bases.append(self.root / name)
        return any(
            base.with_name(f"{base.name}.{ext}").is_file() for base in bases for ext in AUDIO_EXTENSIONS
        )

    def describe(self, language: str | None) -> str:
        """The places looked in."""
        where = f"{self.root}/{language}/ or {self.root}/" if language else f"{self.root}/"
        return f"looked in {where} for .{', .'.join(AUDIO_EXTENSIONS)}"


def check_sounds(ctx: FileContext, library: SoundLibrary, languages: list[str | None]) -> None:
    """Report each sound missing for any language the dialplan plays in."""
    for ref in ctx.sound_refs:
        if ref.name.startswith("/"):
            continue  # an absolute path is the system's business, not the sounds directory's
        for language in languages:
            if not library.exists(ref.name, language):
                lang = f" for language {language}" if language else ""
                ctx.error(
                    ref.mark,
                    f'sound "{ref.name}" not found{lang} ({library.describe(language)})',
                    ref.path,
                )
                break
