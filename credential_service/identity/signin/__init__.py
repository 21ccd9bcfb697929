"""Signing in: workers through an identity provider's assertion (``assertions``), administrators and
auditors through a one-time link from the command line (``staff``), and the used links (``models``)."""
