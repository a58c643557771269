"""Notifications where the team talks (PRODUCT §11, §12): a summary posted to Slack, Microsoft
Teams or any JSON webhook.

``content.py`` works out what a post says — missing data first, then what is new since the
last successful post to that target; ``formats.py`` renders it as each webhook takes it (the
vendors' documented formats, cited there); ``send.py`` posts it through the HTTP layer and
records each success in the store.
"""

from raci_sync.notify.content import Notice, build_notice
from raci_sync.notify.formats import payload
from raci_sync.notify.send import NotifyOutcome, TargetOutcome, notify_all

__all__ = ["Notice", "NotifyOutcome", "TargetOutcome", "build_notice", "notify_all", "payload"]
