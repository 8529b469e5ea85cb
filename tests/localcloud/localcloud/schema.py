"""Create a service's tables from its models (`python -m localcloud.schema SERVICE URL`).

Magnum's and Neutron's alembic migrations run neither on SQLite nor on PostgreSQL (MySQL-only
statements), so their schema is built from the models' metadata and the migrations are stamped.
"""

import sys

import sqlalchemy


def metadata(service: str):
    if service == "neutron":
        from neutron.db.migration.models import head

        return head.get_metadata()
    if service == "magnum":
        from magnum.db.sqlalchemy import models

        return models.Base.metadata
    raise SystemExit(f"no model schema for {service}")


def main() -> None:
    service, url = sys.argv[1:3]
    engine = sqlalchemy.create_engine(url)
    metadata(service).create_all(engine)
    engine.dispose()


if __name__ == "__main__":
    main()
