"""The configuration: the settings (``settings.py``) and the TOML reader (``reader.py``)."""

from raci_sync.config.reader import all_keys, find_config, load_config, parse_config
from raci_sync.config.settings import (
    DEFAULT_WEIGHTS,
    Bounds,
    ChecksConfig,
    Config,
    EmailConfig,
    FieldsConfig,
    HistoryConfig,
    IgnoreConfig,
    NotifyConfig,
    PersonConfig,
    RuleConfig,
    Secret,
    SourceConfig,
    SyncConfig,
    WorkloadConfig,
)

__all__ = [
    "DEFAULT_WEIGHTS",
    "Bounds",
    "ChecksConfig",
    "Config",
    "EmailConfig",
    "FieldsConfig",
    "HistoryConfig",
    "IgnoreConfig",
    "NotifyConfig",
    "PersonConfig",
    "RuleConfig",
    "Secret",
    "SourceConfig",
    "SyncConfig",
    "WorkloadConfig",
    "all_keys",
    "find_config",
    "load_config",
    "parse_config",
]
