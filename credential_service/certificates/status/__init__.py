"""A certificate's status after issue: revoke, suspend, reinstate, supersede (correct) and their
history (``service``, ``rules``, ``models``), and the signed Bitstring Status Lists that carry the
status to verifiers (``lists``)."""
