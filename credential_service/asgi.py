"""``uvicorn credential_service.asgi:app``: the app built from CS_* settings."""

from credential_service.app import create_app, freeze_loaded_objects

app = create_app()
freeze_loaded_objects()
