"""Settings come from SPAPI_NOTIFY_* variables, a .env file and a TOML file, in that order."""

from __future__ import annotations

from pathlib import Path

import pytest

from consumer.settings import Settings, SettingsError
from spapi.regions import Region


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPAPI_NOTIFY_LWA_CLIENT_ID", "amzn1.application-oa2-client.x")
    monkeypatch.setenv("SPAPI_NOTIFY_LWA_CLIENT_SECRET", "s3cr3t-value")
    monkeypatch.setenv("SPAPI_NOTIFY_REGION", "eu")
    monkeypatch.setenv("SPAPI_NOTIFY_SANDBOX", "true")
    settings = Settings()
    config = settings.spapi_config()
    assert config.region is Region.EU
    assert config.base_url == "https://sandbox.sellingpartnerapi-eu.amazon.com"
    assert config.aws_region == "eu-west-1"
    assert "s3cr3t-value" not in repr(settings) + repr(config) + str(config)


def test_toml_file_and_env_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "spapi-notify.toml").write_text('region = "fe"\nseller_id = "A1TOML"\n')
    monkeypatch.setenv("SPAPI_NOTIFY_SELLER_ID", "A1ENV")
    settings = Settings()
    assert settings.region is Region.FE
    assert settings.seller_id == "A1ENV"


def test_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SPAPI_NOTIFY_ENDPOINT=http://127.0.0.1:9/\n")
    settings = Settings(lwa_client_id="c", lwa_client_secret="s")
    assert settings.spapi_config().base_url == "http://127.0.0.1:9"


def test_endpoint_override_keeps_the_signing_region_of_its_host() -> None:
    settings = Settings(
        lwa_client_id="c",
        lwa_client_secret="s",
        endpoint="https://sellingpartnerapi-fe.amazon.com",
    )
    assert settings.spapi_config().aws_region == "us-west-2"


def test_missing_credentials_name_the_variables() -> None:
    with pytest.raises(SettingsError, match="SPAPI_NOTIFY_LWA_CLIENT_ID, SPAPI_NOTIFY_LWA_CLIENT_SECRET"):
        Settings().spapi_config()


def test_single_seller_shortcut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPAPI_NOTIFY_SELLER_ID", "A1SELLER")
    with pytest.raises(SettingsError, match="go together"):
        Settings().single_seller()
    monkeypatch.setenv("SPAPI_NOTIFY_REFRESH_TOKEN", "Atzr|refresh-secret")
    partner = Settings().single_seller()
    assert partner is not None
    assert partner.id == "A1SELLER"
    assert "refresh-secret" not in repr(partner)
