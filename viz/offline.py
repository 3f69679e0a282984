"""Offline serving: make Solara take every front-end file from the local ``solara-assets`` copy.

Solara's page asks its server for its JavaScript, CSS and fonts under ``/_solara/cdn/...``; the
server answers from a cache directory and, for anything missing, fetches the file from a public
CDN. A classroom (or this project's CI) has no internet, so the app must never need that fetch.
The ``solara-assets`` package ships the files into ``<venv>/share/solara/cdn``; this module
points Solara's proxy cache there, turns off Solara's telemetry and version check, puts the
server in production mode (which also drops the "check" iframe that loads from solara.dev) and
replaces the CDN address by an unreachable loopback one, so that even a missing file can never
cause a request that leaves the machine. :func:`missing_assets` lists any file the page template
needs that is not shipped, so a broken install fails at start-up with a clear message.

The app draws its charts as inline SVG built on the server (:mod:`runoff_abm.viz.svg`) and its
two small Vue templates ship in the package, so it needs none of the Vega/Altair bundles that
Altair charts would load from the CDN.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

__all__ = ["ASSETS_HINT", "NO_CDN", "configure_offline", "asset_dir", "required_assets", "missing_assets"]

#: An address that can never be reached (the discard port on loopback): Solara's server would
#: only use it for a front-end file missing from the local copy.
NO_CDN = "http://127.0.0.1:9/npm/"

#: What to install when a front-end file is missing.
ASSETS_HINT = "install the pinned front-end bundle: pip install 'solara-assets==1.58.2' (see pyproject.toml)"

_ENVIRONMENT = {
    "SOLARA_ASSETS_PROXY": "true",
    "SOLARA_ASSETS_CDN": NO_CDN,
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
    "SOLARA_MODE": "production",
    "SOLARA_THEME_VARIANT": "light",
    "SOLARA_CHECK_HOOKS": "off",
    "SOLARA_THEME_TITLE": "runoff-abm: a party runoff, day by day",
}


def asset_dir() -> Path:
    """The directory ``solara-assets`` installs the front-end files into (Solara's proxy cache)."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def configure_offline() -> None:
    """Configure Solara for offline, private serving. Call before the server starts.

    Sets the environment (read by Solara's settings when first imported) and, in case Solara was
    already imported, the live settings objects too.
    """
    for key, value in _ENVIRONMENT.items():
        os.environ[key] = value
    os.environ["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(asset_dir())
    import solara.server.settings as server_settings
    import solara.settings as solara_settings

    solara_settings.assets.proxy = True
    solara_settings.assets.cdn = NO_CDN
    solara_settings.main.check_hooks = "off"
    server_settings.assets.proxy_cache_dir = asset_dir()
    server_settings.telemetry.mixpanel_enable = False
    server_settings.main.mode = "production"
    server_settings.theme.variant = server_settings.ThemeVariant.light
    server_settings.theme.title = _ENVIRONMENT["SOLARA_THEME_TITLE"]


def required_assets() -> list[str]:
    """Paths (relative to the CDN root) that Solara's page template loads, for the installed
    ipywidgets and ipyvuetify versions."""
    import ipywidgets
    import solara
    import solara.server.settings as server_settings

    template = Path(solara.__file__).parent / "server" / "templates" / "solara.html.j2"
    text = template.read_text(encoding="utf-8")
    major = ipywidgets.__version__.split(".")[0]
    vue3 = _ipyvuetify_major() >= 3
    paths = []
    for match in re.finditer(r"\{\{cdn\}\}(/?[^\"' ]+)", text):
        path = match.group(1).replace("{{ipywidget_major_version}}", major)
        path = path.replace("{{assets.fontawesome_path}}", server_settings.assets.fontawesome_path)
        if ("vuetify3-app" in path) != vue3 or "{{" in path:
            continue
        path = path.lstrip("/")
        if path not in paths:
            paths.append(path)
    return paths


def missing_assets() -> list[str]:
    """Front-end files the page needs that are not in :func:`asset_dir` (empty when complete)."""
    root = asset_dir()
    return [p for p in required_assets() if not (root / p).is_file()]


def _ipyvuetify_major() -> int:
    from importlib.metadata import version

    return int(version("ipyvuetify").split(".")[0])
