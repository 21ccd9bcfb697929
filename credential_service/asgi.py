"""``uvicorn credential_service.asgi:app``: the app built from CS_* settings."""

from credential_service.app import create_app

app = create_app()
