"""The ``agi_*`` environment block Asterisk sends at the start of every AGI session."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

UNKNOWN = "unknown"


@dataclass(frozen=True)
class AgiEnvironment:
    """The environment of one AGI session, as sent (keys keep their ``agi_`` prefix).

    Convenience properties cover what routing and dialplans use. ``script`` is the FastAGI
    script name before ``?`` (``agi://host/ivr?lang=en`` → ``ivr``), ``query`` its decoded
    parameters, ``args`` the ``agi_arg_N`` values in order.
    """

    fields: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        """Return a variable by name, with or without the ``agi_`` prefix."""
        key = name if name.startswith("agi_") else f"agi_{name}"
        return self.fields.get(key, default)

    @property
    def network_script(self) -> str:
        """The raw ``agi_network_script`` (script and query), derived from the request if absent."""
        script = self.fields.get("agi_network_script")
        if script is not None:
            return script
        parts = urlsplit(self.request)
        return parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")

    @property
    def script(self) -> str:
        """Script name used for routing: the part before ``?``, without leading slashes."""
        return self.network_script.split("?", 1)[0].strip("/")

    @property
    def query(self) -> dict[str, str]:
        """Decoded query parameters of the script; the first value wins on repeats."""
        _, _, raw = self.network_script.partition("?")
        params: dict[str, str] = {}
        for key, value in parse_qsl(raw, keep_blank_values=True):
            params.setdefault(key, value)
        return params

    @property
    def args(self) -> tuple[str, ...]:
        """``agi_arg_1`` … ``agi_arg_N`` in numeric order."""
        numbered: list[tuple[int, str]] = []
        for key, value in self.fields.items():
            suffix = key[len("agi_arg_") :] if key.startswith("agi_arg_") else ""
            if suffix.isdigit():
                numbered.append((int(suffix), value))
        return tuple(value for _, value in sorted(numbered))

    @property
    def request(self) -> str:
        """The full ``agi_request`` URL."""
        return self.get("request")

    @property
    def channel(self) -> str:
        """The Asterisk channel name, e.g. ``PJSIP/1001-00000012``."""
        return self.get("channel")

    @property
    def uniqueid(self) -> str:
        """The channel's Asterisk uniqueid."""
        return self.get("uniqueid")

    @property
    def language(self) -> str:
        """The channel language (``en`` when absent)."""
        return self.get("language", "en") or "en"

    @property
    def caller_number(self) -> str:
        """Caller ID number, ``""`` when Asterisk reports it as unknown."""
        value = self.get("callerid")
        return "" if value == UNKNOWN else value

    @property
    def caller_name(self) -> str:
        """Caller ID name, ``""`` when Asterisk reports it as unknown."""
        value = self.get("calleridname")
        return "" if value == UNKNOWN else value

    @property
    def dialled_number(self) -> str:
        """The dialled number (DNIS): ``agi_dnid``, else the extension."""
        dnid = self.get("dnid")
        if dnid and dnid != UNKNOWN:
            return dnid
        return self.get("extension")
