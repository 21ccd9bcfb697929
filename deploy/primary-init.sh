#!/bin/sh
# Run once by the postgres image when the primary's data directory is created: let the standby
# connect for streaming replication (password authentication on the compose network).
set -e
echo "host replication postgres all scram-sha-256" >> "$PGDATA/pg_hba.conf"
