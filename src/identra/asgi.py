"""ASGI entry point for multi-worker serving: ``uvicorn identra.asgi:app``."""

from identra.app import create_app
from identra.cli.main import settings_or_exit
from identra.observability.logging import configure

_settings = settings_or_exit()
configure(_settings.log_level, _settings.log_json)
app = create_app(_settings)
