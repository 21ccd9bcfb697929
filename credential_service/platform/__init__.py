"""What every part's adapters (routes, pages, commands) may ask of the running service, and who is
calling: the layer between the pure code (core, crypto) and the parts. The composition root
(``credential_service.runtime``) provides it; no part imports the root."""
