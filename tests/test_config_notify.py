"""Config of issue 12: ``[[notify]]`` targets (the URL a secret, never in a message) and
``[email] personal``."""

from __future__ import annotations

import pytest

from raci_sync.config import Secret, parse_config
from raci_sync.errors import ConfigError

HOOK = "https://hooks.slack.com/services/T0001/B0001/SecretHookToken123456"
ENV = {"HOOK": HOOK, "TEAMS_HOOK": "https://example.logic.azure.com/workflows/1/x?sig=abc123"}


def test_notify_targets_are_read_with_the_url_kept_secret() -> None:
    cfg = parse_config(
        '[[notify]]\nkind = "slack"\nurl = "${HOOK}"\n'
        '[[notify]]\nkind = "teams"\nurl = "${TEAMS_HOOK}"\nname = "drift"\n'
        '[[notify]]\nkind = "webhook"\nurl = "${HOOK}"\nname = "ops"\n',
        env=ENV,
    )
    assert [(t.kind, t.name) for t in cfg.notify] == [
        ("slack", "slack"),
        ("teams", "drift"),
        ("webhook", "ops"),
    ]
    first = cfg.notify[0]
    assert isinstance(first.url, Secret) and first.url.reveal() == HOOK
    assert HOOK not in repr(cfg) and HOOK not in str(first)
    assert cfg.warnings == ()


def test_notify_problems_are_listed_at_once_and_never_quote_the_url() -> None:
    env = {"PLAIN": "ftp://hooks.example.com/SecretPath9876", "NOHOST": "https:///SecretPath9876"}
    text = (
        '[[notify]]\nkind = "slak"\nurl = "${PLAIN}"\n'
        '[[notify]]\nurl = "${NOHOST}"\nname = "a"\n'
        '[[notify]]\nkind = "teams"\nname = "a"\nchannel = "x"\n'
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, env=env)
    problems = caught.value.problems
    assert any(
        p.startswith("notify[0].kind: must be one of slack, teams, webhook") for p in problems
    )
    assert any("did you mean 'slack'" in p for p in problems)
    assert "notify[0].url: must be an https:// URL" in "\n".join(problems)
    assert "notify[1].kind: is required" in "\n".join(problems)
    assert "notify[1].url: must be an https:// URL" in "\n".join(problems)
    assert "notify[2].url: is required" in "\n".join(problems)
    assert "notify[2].channel: unknown key" in "\n".join(problems)
    assert "notify[2].name: 'a' is used twice" in "\n".join(problems)
    assert "SecretPath9876" not in str(caught.value)


def test_two_targets_of_one_kind_need_names() -> None:
    with pytest.raises(ConfigError, match=r"notify\[1\].name: 'slack' is used twice"):
        parse_config('[[notify]]\nkind="slack"\nurl="${HOOK}"\n' * 2, env=ENV)


def test_an_unset_url_is_a_problem_only_where_it_is_used() -> None:
    text = '[[notify]]\nkind = "slack"\nurl = "${SLACK_WEBHOOK_URL}"\n'
    cfg = parse_config(text, env={})  # a report needs no webhook
    assert cfg.notify[0].url is not None and cfg.notify[0].url.missing == "SLACK_WEBHOOK_URL"
    with pytest.raises(ConfigError, match=r"notify\[0\].url: environment variable SLACK_WEBHOOK"):
        cfg.require_secrets(notify=cfg.notify)
    with pytest.raises(ConfigError, match="SLACK_WEBHOOK_URL is not set"):
        parse_config(text, env={}, all_secrets=True)  # check-config


def test_a_literal_or_plain_http_url_warns_without_showing_it() -> None:
    literal = parse_config(f'[[notify]]\nkind = "slack"\nurl = "{HOOK}"\n', env={})
    assert any("notify[0].url holds a literal secret" in w for w in literal.warnings)
    plain = parse_config(
        '[[notify]]\nkind = "webhook"\nurl = "${H}"\n',
        env={"H": "http://chat.example.com/hooks/SecretPath9876"},
    )
    assert any("plain http:// URL to chat.example.com" in w for w in plain.warnings)
    assert not any("SecretPath9876" in w for w in plain.warnings)
    local = parse_config(
        '[[notify]]\nkind = "webhook"\nurl = "${H}"\n', env={"H": "http://127.0.0.1:8080/x"}
    )
    assert local.warnings == ()


def test_email_personal_defaults_to_false() -> None:
    assert parse_config("", env={}).email.personal is False
    assert parse_config("[email]\npersonal = true\n", env={}).email.personal is True
    with pytest.raises(ConfigError, match=r"email\.personal: must be true or false"):
        parse_config('[email]\npersonal = "yes"\n', env={})
