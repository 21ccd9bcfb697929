"""Subsidies (§27 以证定补): dated rule sets as configuration, their pure evaluation, and (to come)
claims, decisions, payments to the worker's own card account and recoveries."""
