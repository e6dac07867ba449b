"""The migrations a backup was made at, and what a restore has to migrate because of them.

A backup's header records, per app, the migrations applied to the database it was read from
(`applied_migrations`). Before a restore changes anything, `plan_restore` compares them with
this version's migrations and with the database's:

- a migration this version does not have (the backup was made by a newer version of the site,
  or another branch of it): refused, since its rows may not fit these tables;
- the backup and the database both at this version's latest migrations: nothing to migrate;
- otherwise the restore migrates the database to the backup's state (backwards when it is
  ahead, if every step can be undone), puts the rows back into the tables as they were then,
  and migrates them to the latest, so the data migrations written since run on them, as they
  ran on the site's own database when it was upgraded.

A backup written before backups recorded their migrations has no record (`None`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from qa.backup.tables import BackupError, TableModels

Key = tuple[str, str]  # (app label, migration name)
Target = tuple[str, str | None]  # where `migrate` takes an app: a migration, or None for zero


def applied_migrations() -> dict[str, list[str]]:
    """Per installed app, the names of the migrations applied to the database."""
    installed = {config.label for config in apps.get_app_configs()}
    out: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        if app in installed:  # not the rows an app removed from the site left behind
            out.setdefault(app, []).append(name)
    return out


@dataclass(frozen=True)
class RestorePlan:
    behind: tuple[Key, ...]  # the backup's last migration in each app where it is behind
    to_backup: tuple[Target, ...]  # the apps the database has at another state than the backup
    back_again: tuple[Target, ...]  # where those apps are now
    at_latest: bool  # the backup is at this version's latest migrations

    @property
    def migrates(self) -> bool:
        return bool(self.to_backup) or not self.at_latest

    def described(self) -> str:
        return ", ".join(f"{app} {name}" for app, name in self.behind)


def plan_restore(header: dict[str, Any], path: Path) -> RestorePlan | None:
    """What restoring the backup at `path` has to migrate; refuses (BackupError) a backup
    made at migrations this version does not have, or one that needs migrations undone that
    cannot be."""
    if "migrations" not in header:
        return None
    recorded = _recorded(header["migrations"], path)
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    graph = loader.graph
    known = set(loader.disk_migrations)
    for squashed in loader.replacements.values():  # whose files may be gone
        known.update(squashed.replaces)
    unknown = sorted(recorded - known)
    if unknown:
        names = ", ".join(f"{app} {name}" for app, name in unknown[:5])
        raise BackupError(
            f"{path} was made by a newer version of the site (or another branch of it): the "
            f"database it was read from had migrations this version does not have ({names}"
            f"{', …' if len(unknown) > 5 else ''}). Upgrade the code first, then restore it. "
            "Nothing was restored."
        )
    nodes = set(graph.nodes)
    backup = _as_nodes(recorded, loader) & nodes
    database = set(loader.applied_migrations) & nodes
    latest = {key[0]: key for key in graph.leaf_nodes()}
    backup_leaves, database_leaves = _leaves(backup, graph), _leaves(database, graph)
    behind = tuple(
        key for app in sorted(latest) for key in backup_leaves.get(app, [(app, "zero")])
        if key != latest[app]
    )
    irreversible = sorted(key for key in database - backup
                          if not all(op.reversible for op in graph.nodes[key].operations))
    if irreversible:
        raise BackupError(
            f"{path} was made at older migrations ({', '.join(f'{a} {n}' for a, n in behind)}). "
            "Restoring it needs this database migrated back to them, and "
            f"{', '.join(f'{a} {n}' for a, n in irreversible)} cannot be undone. Restore it "
            "into a new, empty database instead, without running migrate there first: "
            "restore_data migrates it to the backup's migrations itself. Nothing was restored."
        )
    to_backup: list[Target] = []
    back_again: list[Target] = []
    for app in sorted({key[0] for key in nodes}):
        if {k for k in backup if k[0] == app} != {k for k in database if k[0] == app}:
            to_backup += backup_leaves.get(app, [(app, None)])
            back_again += database_leaves.get(app, [(app, None)])
    return RestorePlan(behind=behind, to_backup=tuple(to_backup),
                       back_again=tuple(back_again), at_latest=nodes <= backup)


def _recorded(value: Any, path: Path) -> set[Key]:
    if not (isinstance(value, dict) and all(
            isinstance(names, list) and all(isinstance(n, str) for n in names)
            for names in value.values())):
        raise BackupError(f"{path}: the migrations its header records are not a list of "
                          "names per app.")
    return {(app, name) for app, names in value.items() for name in names}


def _as_nodes(recorded: set[Key], loader: MigrationLoader) -> set[Key]:
    """`recorded` with a squashed migration counted as applied when everything it replaces
    is, and the other way round, as the loader counts them."""
    state = set(recorded)
    for key, squashed in loader.replacements.items():
        if key in state:
            state.update(squashed.replaces)
        elif all(replaced in state for replaced in squashed.replaces):
            state.add(key)
    return state


def _leaves(state: set[Key], graph) -> dict[str, list[Target]]:
    """Per app, the migrations of `state` that no other migration of that app in it follows:
    where `migrate APP NAME` takes the app to bring it to `state`."""
    out: dict[str, list[Target]] = {}
    for key in sorted(state):
        if not any(child.key in state and child.key[0] == key[0]
                   for child in graph.node_map[key].children):
            out.setdefault(key[0], []).append(key)
    return out


def migrate_to(targets: tuple[Target, ...]) -> None:
    """Run `migrate APP NAME` for each target (`migrate APP zero` for None)."""
    for app, name in targets:
        call_command("migrate", app, name or "zero", interactive=False, verbosity=0,
                     stdout=io.StringIO())


def migrate_to_latest() -> None:
    call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())


def database_models() -> TableModels:
    """The models as the database's applied migrations have shaped its tables."""
    loader = MigrationLoader(connection)
    applied = [key for key in loader.applied_migrations if key in loader.graph.nodes]
    return TableModels(loader.project_state(applied, at_end=True).apps)
