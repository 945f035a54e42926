"""Settings: production refuses development secrets; namespaces isolate runs."""

from __future__ import annotations

import pytest

from signum.platform.settings import InfraSettings, InsecureSettingsError


def test_production_refuses_default_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNUM_ENVIRONMENT", "production")
    monkeypatch.delenv("SIGNUM_INTERNAL_TOKEN", raising=False)
    monkeypatch.delenv("SIGNUM_S3_SECRET_KEY", raising=False)
    with pytest.raises(InsecureSettingsError, match="SIGNUM_INTERNAL_TOKEN, SIGNUM_S3_SECRET_KEY"):
        InfraSettings()


def test_production_starts_with_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNUM_ENVIRONMENT", "production")
    monkeypatch.setenv("SIGNUM_INTERNAL_TOKEN", "a-long-random-token")
    monkeypatch.setenv("SIGNUM_S3_SECRET_KEY", "another-long-random-secret")
    settings = InfraSettings()
    assert settings.internal_token.get_secret_value() == "a-long-random-token"
    assert "a-long-random-token" not in repr(settings)


def test_gateway_refuses_demo_data_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    from signum.gateway.settings import Settings

    monkeypatch.setenv("SIGNUM_ENVIRONMENT", "production")
    monkeypatch.setenv("SIGNUM_INTERNAL_TOKEN", "a-long-random-token")
    monkeypatch.setenv("SIGNUM_S3_SECRET_KEY", "another-long-random-secret")
    monkeypatch.setenv("SIGNUM_GATEWAY_DEMO_DATA", "true")
    with pytest.raises(InsecureSettingsError, match="demo data"):
        Settings()


def test_namespace_prefixes_topics_groups_and_databases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNUM_KAFKA_NAMESPACE", "run1.")
    monkeypatch.setenv("SIGNUM_MONGO_DB_PREFIX", "run1_")
    settings = InfraSettings()
    assert settings.topic("signum.drafting") == "run1.signum.drafting"
    assert settings.group_id("routing") == "run1.signum.routing"
    assert settings.database_name("routing") == "run1_routing"
