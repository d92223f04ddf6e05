"""The daemon settings file: shipped defaults, secrets kept out of the file, errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from configlang.diagnostics import Diagnostic, Diagnostics
from ivr_acd.settings import DEFAULT_PAUSE_REASONS, LOOPBACK, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def _errors(diags: Diagnostics) -> list[Diagnostic]:
    return [d for d in diags if d.severity == "error"]


def _load(tmp_path: Path, text: str, *, resolve_secrets: bool = True) -> tuple[Settings | None, Diagnostics]:
    path = tmp_path / "ivr-acd.yaml"
    path.write_text(text, encoding="utf-8")
    diags = Diagnostics()
    return load_settings(path, diags, "ivr-acd.yaml", resolve_secrets=resolve_secrets), diags


def test_the_shipped_settings_are_valid_and_bind_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_ACD_AMI_SECRET", "s3cret-ami")
    monkeypatch.setenv("IVR_ACD_SUPERVISOR_SECRET", "s3cret-sup")
    diags = Diagnostics()
    settings = load_settings(ROOT / "config" / "ivr-acd.yaml", diags)
    assert settings is not None, [d.format() for d in diags]
    assert settings.fastagi.host == settings.ami.host == settings.supervisor.host == LOOPBACK
    assert settings.ami.secret == "s3cret-ami"
    assert set(settings.secrets()) == {"s3cret-ami", "s3cret-sup"}
    assert settings.pause_reasons["2"] == "lunch"
    assert settings.queues == (ROOT / "config" / "queues.yaml").resolve()


def test_an_empty_file_means_every_default(tmp_path: Path) -> None:
    settings, diags = _load(tmp_path, "{}\n")
    assert settings is not None and not diags.has_errors
    assert settings.fastagi.host == LOOPBACK and settings.fastagi.port == 4573
    assert settings.pause_reasons == DEFAULT_PAUSE_REASONS
    assert settings.mqtt.enabled is False


def test_a_missing_secret_variable_is_an_error_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_SUCH_SECRET_VAR", raising=False)
    settings, diags = _load(tmp_path, "ami:\n  username: x\n  secret_env: NO_SUCH_SECRET_VAR\n")
    assert settings is None
    assert [d.format() for d in _errors(diags)] == [
        "ivr-acd.yaml:3:15: error: environment variable NO_SUCH_SECRET_VAR is not set (at ami.secret_env)"
    ]


def test_the_linter_checks_settings_without_reading_secrets(tmp_path: Path) -> None:
    settings, diags = _load(tmp_path, "ami: {secret_env: NO_SUCH_SECRET_VAR}\n", resolve_secrets=False)
    assert settings is not None and not diags.has_errors


def test_two_ways_of_giving_one_secret_are_refused(tmp_path: Path) -> None:
    settings, diags = _load(tmp_path, "ami:\n  secret: a\n  secret_file: b\n")
    assert settings is None
    assert "give only one of secret, secret_file" in _errors(diags)[0].message
    assert _errors(diags)[0].line == 3


def test_pause_reasons_are_configurable_and_checked(tmp_path: Path) -> None:
    settings, _ = _load(tmp_path, 'agent_features:\n  pause_reasons: {"7": coaching}\n')
    assert settings is not None and settings.pause_reasons == {"7": "coaching"}
    settings, diags = _load(tmp_path, 'agent_features:\n  pause_reasons:\n    "1": lunch\n    x: break\n')
    assert settings is None
    error = _errors(diags)[0]
    assert (error.line, error.col) == (4, 5)
    assert "pause code 'x'" in error.message


def test_an_unknown_key_is_reported_with_its_place(tmp_path: Path) -> None:
    settings, diags = _load(tmp_path, "fastagi:\n  host: 127.0.0.1\n  prot: 4573\n")
    assert settings is None
    error = _errors(diags)[0]
    assert error.line == 3 and "prot" in error.message


def test_mqtt_settings_build_the_bridge_config_with_the_supervisor_users(tmp_path: Path) -> None:
    settings, diags = _load(
        tmp_path,
        "supervisor:\n  users: [{username: crm, secret: crm-secret-0123456789, permission: control}]\n"
        "mqtt: {enabled: true, prefix: site-a/ivr-acd, qos: 2, stats_interval: 5, stats_min_interval: 0.5}\n",
    )
    assert settings is not None, [d.format() for d in diags]
    config = settings.mqtt_config()
    assert (config.prefix, config.qos, config.stats_interval, config.stats_min_interval) == (
        "site-a/ivr-acd",
        2,
        5.0,
        0.5,
    )
    assert [(u.username, u.permission) for u in config.users] == [("crm", "control")]


def test_mqtt_refuses_short_command_secrets_and_bad_prefixes_at_load_time(tmp_path: Path) -> None:
    settings, diags = _load(
        tmp_path, "supervisor:\n  users: [{username: crm, secret: short}]\nmqtt: {enabled: true}\n"
    )
    assert settings is None
    (error,) = _errors(diags)
    assert error.line == 3 and "at least 16 characters" in error.message
    assert "short" not in error.message  # the secret itself is never echoed
    settings, diags = _load(tmp_path, "mqtt: {enabled: true, prefix: 'a/#'}\n")
    assert settings is None and "prefix" in _errors(diags)[0].message
