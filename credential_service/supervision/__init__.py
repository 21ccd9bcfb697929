"""Supervision (§28 全方位信息化监管): named, versioned checks over the records, training postings,
certificates and subsidies, and the cases their findings open (decision 036)."""
