"""Administrator and auditor pages: organisations, batches, status changes, keys, the audit trail."""
