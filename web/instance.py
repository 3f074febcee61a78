"""The instance folder: database, card secret, pictures and settings of one corner's server."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
from flask import current_app

from cards.token import CardSecret
from points.db import connect

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ENV_VARIABLE = "CORNER_INSTANCE"
LANGUAGES = ("zh_CN", "en")
MAX_PROXIES = 3

DEFAULT_CONFIG = """\
# Exchange Corner settings. Restart `corner serve` after a change.
language = "zh_CN"     # the kiosk's default language: "zh_CN" or "en"
idle_seconds = 60      # the kiosk forgets the member after this long without a touch
session_seconds = 300  # a card scan is good for spending points this long at most
corner = 1             # which exchange corner this server's kiosk belongs to
demo = false           # true shows the demo cards page (never on a real corner)
reader = true          # watch this machine's PC/SC card readers for NFC cards
trusted_proxies = 0    # 1 behind a reverse proxy (nginx, Caddy) on the way in: see docs/DEPLOY.md
"""


class InstanceError(Exception):
    """The instance folder is missing, unreadable or badly configured."""


@dataclass(frozen=True)
class Settings:
    language: str = "zh_CN"
    idle_seconds: int = 60
    session_seconds: int = 300
    corner: int = 1
    demo: bool = False
    reader: bool = True
    # reverse proxies in front of the server whose X-Forwarded-* headers are believed (0: none)
    trusted_proxies: int = 0


@dataclass(frozen=True)
class Instance:
    path: Path
    settings: Settings = field(default_factory=Settings)

    @property
    def database(self) -> Path:
        return self.path / "corner.db"

    @property
    def secret_file(self) -> Path:
        return self.path / "card-secret"

    @property
    def pictures(self) -> Path:
        return self.path / "pictures"

    @property
    def config_file(self) -> Path:
        return self.path / "config.toml"

    def secret(self) -> CardSecret:
        try:
            return CardSecret.load(self.secret_file)
        except (OSError, ValueError) as error:
            raise InstanceError(
                f"cannot read the card secret {self.secret_file}: {error}"
            ) from None


def default_path() -> Path:
    """$CORNER_INSTANCE, or the per-user data folder (~/.local/share/exchange-corner)."""
    return Path(os.environ.get(ENV_VARIABLE) or platformdirs.user_data_dir("exchange-corner"))


def current_instance() -> Instance:
    """The instance this app serves."""
    return current_app.config["CORNER_INSTANCE"]


def card_secret() -> CardSecret:
    """The key that signs and checks this instance's QR cards."""
    return current_app.config["CARD_SECRET"]


def init_instance(path: Path) -> tuple[Instance, bool]:
    """Create the folder, its secret, settings and database if missing; (instance, created)."""
    path.mkdir(parents=True, exist_ok=True)
    created = not (path / "card-secret").exists()
    if created:
        CardSecret.generate().save(path / "card-secret")
    if not (path / "config.toml").exists():
        (path / "config.toml").write_text(DEFAULT_CONFIG, encoding="utf-8")
    (path / "pictures").mkdir(exist_ok=True)
    connect(path / "corner.db").close()
    return open_instance(path), created


def open_instance(path: Path) -> Instance:
    """An existing instance folder with its settings; InstanceError when it is not one."""
    if not (path / "card-secret").exists():
        raise InstanceError(f"{path} is not an instance folder; run `corner init` first")
    try:
        raw = tomllib.loads((path / "config.toml").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raw = {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InstanceError(f"cannot read {path / 'config.toml'}: {error}") from None
    return Instance(path, parse_settings(raw))


def parse_settings(raw: dict) -> Settings:
    """Settings from a parsed config.toml; unknown keys and bad values are refused by name."""
    defaults = Settings()
    unknown = set(raw) - set(Settings.__dataclass_fields__)
    if unknown:
        raise InstanceError(f"unknown setting(s) in config.toml: {', '.join(sorted(unknown))}")
    values = {}
    for name in Settings.__dataclass_fields__:
        value = raw.get(name, getattr(defaults, name))
        expected = type(getattr(defaults, name))
        if type(value) is not expected:
            raise InstanceError(f"setting {name} must be a {expected.__name__}")
        values[name] = value
    if values["language"] not in LANGUAGES:
        raise InstanceError(f"setting language must be one of {', '.join(LANGUAGES)}")
    for name in ("idle_seconds", "session_seconds", "corner"):
        if values[name] <= 0:
            raise InstanceError(f"setting {name} must be positive")
    if not 0 <= values["trusted_proxies"] <= MAX_PROXIES:
        raise InstanceError(f"setting trusted_proxies must be 0 to {MAX_PROXIES}")
    return Settings(**values)
