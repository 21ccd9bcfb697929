"""The raw storage (the SQLite file, every PostgreSQL table) holds no clear ID number of any demo person."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from credential_service.demo import load_demo
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.models import metadata
from credential_service.runtime import Runtime


def _demo_id_numbers(runtime: Runtime) -> list[str]:
    load_demo(runtime)
    with runtime.session() as session:
        people = list(session.scalars(select(Person)))
        return [identity.clear_id_number(runtime.settings.data_key_bytes, p) for p in people]


def test_no_clear_id_number_in_storage(runtime: Runtime) -> None:
    numbers = _demo_id_numbers(runtime)
    assert len(numbers) >= 10
    url = runtime.settings.database_url
    if url.startswith("sqlite"):
        runtime.engine.dispose()  # flush nothing is pending; read the file and its WAL as they are
        database = Path(url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
        stored = raw.decode("latin-1")
    else:
        with runtime.engine.connect() as connection:
            stored = "\n".join(
                str(row[0])
                for table in metadata.sorted_tables
                for row in connection.execute(text(f'SELECT CAST(t.* AS text) FROM "{table.name}" t'))
            )
    assert len(stored) > 10_000
    leaked = [n for n in numbers if n in stored or n[:17] in stored]
    assert leaked == [], f"{len(leaked)} clear ID numbers found in storage"
    # The masked form is what may appear.
    assert any(f"{n[:3]}***********{n[-4:]}" in stored for n in numbers)
