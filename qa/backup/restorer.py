"""Putting a backup's rows back, table by table: bank content matched by keys (updated or
created), people's rows with their own ids, references to questions translated through keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from qa.backup.tables import CHUNK, BackupError, TableModels


def _pairs(label: str, rows: list, first: type, second: type) -> list:
    """The rows of a link table, each checked to be a pair of a `first` and a `second` (a
    list of strings for a list): they are unpacked as they come, not read through a model."""
    def fits(value, kind) -> bool:
        if kind is list:
            return isinstance(value, list) and all(isinstance(v, str) for v in value)
        return isinstance(value, kind) and not isinstance(value, bool)

    for number, row in enumerate(rows, start=1):
        if not (isinstance(row, list) and len(row) == 2 and fits(row[0], first)
                and fits(row[1], second)):
            raise BackupError(f"{label}, row {number}: expected a pair of {first.__name__} "
                              f"and {second.__name__}.")
    return rows


def _column(label: str, columns: list[str], name: str) -> int:
    """Where column `name` is in a line of `label`'s rows; a file without it cannot be
    restored (rows would lose their ids, or could not be matched by their keys)."""
    if name not in columns:
        raise BackupError(f"{label}: the backup's columns lack {name!r}, which a restore needs.")
    return columns.index(name)


def _id_value(label: str, number: int, name: str, value: Any) -> int:
    """`value` checked to be an id: it is looked up as it comes, and a list is unhashable."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise BackupError(f"{label}, row {number}: {value!r} is not a valid {name}.")
    return value


@dataclass
class RestoreReport:
    counts: dict[str, int] = field(default_factory=dict)
    skipped_history_rows: int = 0
    notes: list[str] = field(default_factory=list)  # what the operator should know

    def add(self, label: str, n: int) -> None:
        self.counts[label] = self.counts.get(label, 0) + n


class _Restorer:
    """Restores through `m`: the site's models, or those of the older migration state the
    backup was made at (the database is then at that state)."""

    def __init__(self, report: RestoreReport, m: TableModels) -> None:
        self.report = report
        self.m = m
        self.bank_ids: dict[int, int] = {}
        self.section_ids: dict[int, int] = {}
        self.tag_ids: dict[int, int] = {}
        self.question_ids: dict[int, int] = {}
        self.history_ids: dict[int, int] = {}
        self.cleared_history = False
        self.by_label = {model._meta.label_lower: model for model in m.people}

    @staticmethod
    def _translated(label: str, number: int, name: str, value: Any, mapping: dict[int, int],
                    target: str) -> int:
        """The id here of the row the backup knew as `value`. A reference to a row the backup
        does not hold (removed by hand, say) refuses the whole restore: dropping the row, or
        the reference, would lose data quietly."""
        value = _id_value(label, number, name, value)
        if value not in mapping:
            raise BackupError(f"{label}, row {number}: {name} {value} is not in the backup's "
                              f"{target} rows.")
        return mapping[value]

    # Translating references to bank content through keys.
    def _translators(self, model: type[models.Model], columns: list[str]):
        m = self.m
        maps = {m.Bank: self.bank_ids, m.Section: self.section_ids, m.Tag: self.tag_ids,
                m.Question: self.question_ids, m.HistoricalQuestion: self.history_ids}
        fields = {f.attname: f for f in model._meta.concrete_fields}
        out = []
        for i, name in enumerate(columns):
            f = fields.get(name)
            if f is None:
                raise BackupError(
                    f"{model._meta.label} has no column {name!r}; the backup comes from a "
                    "different version of the site."
                )
            mapping = maps.get(f.related_model) if f.is_relation else None
            out.append((i, f, mapping))
        return out

    @staticmethod
    def _shaped(label: str, columns: list[str], rows: list) -> list:
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, list) or len(row) != len(columns):
                raise BackupError(f"{label}, row {number}: expected {len(columns)} values, one "
                                  "per column.")
        return rows

    def _instances(self, model, columns, rows, *, required=()):
        label = model._meta.label_lower
        for name in required:
            _column(label, columns, name)
        translators = self._translators(model, columns)
        # A revision records the question as it was: the section or tag it names may have been
        # deleted since, and then it names none here. Anywhere else such a reference is an error.
        lenient = model in (self.m.HistoricalQuestion, self.m.HistoricalQuestionTag)
        for number, row in enumerate(self._shaped(label, columns, rows), start=1):
            values = {}
            for i, f, mapping in translators:
                value = row[i]
                if value is not None and mapping is not None:
                    if lenient:
                        value = mapping.get(_id_value(label, number, f.attname, value))
                    else:
                        value = self._translated(label, number, f.attname, value, mapping,
                                                 f.related_model._meta.label_lower)
                elif value is not None:
                    try:
                        value = f.to_python(value)
                    except (ValidationError, ValueError, TypeError):
                        raise BackupError(f"{label}, row {number}: {value!r} is not a valid "
                                          f"{f.name}.") from None
                values[f.attname] = value
            yield model(**values)

    # Bank content: matched by keys, updated or created.
    def bank(self, columns, rows):
        existing = dict(self.m.Bank._default_manager.values_list("slug", "pk"))
        for obj in self._instances(self.m.Bank, columns, rows, required=["id", "slug"]):
            old_pk = obj.pk
            obj.pk = existing.get(obj.slug)
            if obj.pk is None:
                obj.save(force_insert=True)
            else:
                obj.save(force_update=True)
            self.bank_ids[old_pk] = obj.pk
        self.report.add("qa.bank", len(rows))

    def section(self, columns, rows):
        section = self.m.Section
        existing = {(b, k): pk for b, k, pk in
                    section._default_manager.values_list("bank_id", "key", "pk")}
        for obj in self._instances(section, columns, rows, required=["id", "bank_id", "key"]):
            old_pk = obj.pk
            obj.pk = existing.get((obj.bank_id, obj.key))
            if obj.pk is None:
                obj.save(force_insert=True)
            else:
                obj.save(force_update=True)
            self.section_ids[old_pk] = obj.pk
        self.report.add("qa.section", len(rows))

    def tag(self, columns, rows):
        existing = dict(self.m.Tag._default_manager.values_list("name", "pk"))
        for obj in self._instances(self.m.Tag, columns, rows, required=["id", "name"]):
            old_pk = obj.pk
            if obj.name in existing:
                self.tag_ids[old_pk] = existing[obj.name]
            else:
                obj.pk = None
                obj.save(force_insert=True)
                self.tag_ids[old_pk] = existing[obj.name] = obj.pk
        self.report.add("qa.tag", len(rows))

    def question(self, columns, rows):
        question = self.m.Question
        questions = question._default_manager
        objs = list(self._instances(question, columns, rows,
                                    required=["id", "key", "section_id"]))
        keys = [o.key for o in objs]
        existing = dict(questions.filter(key__in=keys).values_list("key", "pk"))
        to_update, to_create, old_pks = [], [], []
        for obj in objs:
            old_pks.append((obj.pk, obj.key))
            obj.pk = existing.get(obj.key)
            (to_update if obj.pk else to_create).append(obj)
        if to_update:
            update_fields = [f.name for f in question._meta.concrete_fields
                             if not f.primary_key and f.name != "key"]
            questions.bulk_update(to_update, update_fields, batch_size=500)
        if to_create:
            questions.bulk_create(to_create, batch_size=500)
        if to_create and to_create[0].pk is None:  # a backend that returns no ids
            existing = dict(questions.filter(key__in=keys).values_list("key", "pk"))
        else:
            existing.update({o.key: o.pk for o in to_create})
        for old_pk, key in old_pks:
            self.question_ids[old_pk] = existing[key]
        # A restored question has the backup's tags and no others (those import_bank gave it
        # here included): its links go now, and the backup's qa.question_tags lines, which come
        # later and may span several chunks, only add. A question without tags in the backup
        # has no line there at all.
        self.m.QuestionTag._default_manager.filter(
            question_id__in=[existing[key] for _old, key in old_pks]).delete()
        self.report.add("qa.question", len(rows))

    def question_tags(self, columns, rows):
        label = "qa.question_tags"
        through = self.m.QuestionTag
        links = [
            through(question_id=self._translated(label, n, "question_id", q, self.question_ids,
                                                 "qa.question"),
                    tag_id=self._translated(label, n, "tag_id", t, self.tag_ids, "qa.tag"))
            for n, (q, t) in enumerate(_pairs(label, rows, int, int), start=1)
        ]
        through._default_manager.bulk_create(links, batch_size=CHUNK)
        self.report.add(label, len(links))

    def _clear_replaced_history(self) -> None:
        # The backup's history replaces whatever history the restored questions have here
        # (usually the "import" rows import_bank just wrote).
        if self.cleared_history:
            return
        self.cleared_history = True
        ids = list(self.question_ids.values())
        for start in range(0, len(ids), 5000):
            part = ids[start:start + 5000]
            history = self.m.HistoricalQuestion._default_manager.filter(id__in=part)
            self.m.HistoricalQuestionTag._default_manager.filter(
                history__in=history.values("pk")).delete()
            history.delete()

    def historical_question(self, columns, rows):
        model = self.m.HistoricalQuestion
        label = model._meta.label_lower
        rows = self._shaped(label, columns, rows)
        id_at = _column(label, columns, "id")
        pk_name = model._meta.pk.attname
        pk_at = _column(label, columns, pk_name)
        for number, row in enumerate(rows, start=1):
            _id_value(label, number, "id", row[id_at])
            _id_value(label, number, pk_name, row[pk_at])
        self._clear_replaced_history()
        kept = [row for row in rows if row[id_at] in self.question_ids]
        # History of a question deleted before the backup has nothing to attach to.
        self.report.skipped_history_rows += len(rows) - len(kept)
        objs = list(self._instances(model, columns, kept))
        for row, obj in zip(kept, objs, strict=True):
            obj.id = self.question_ids[row[id_at]]
            setattr(obj, pk_name, None)
        created = model._default_manager.bulk_create(objs, batch_size=500)
        for row, obj in zip(kept, created, strict=True):
            if obj.pk is None:
                raise BackupError("This database does not return the ids of inserted rows.")
            self.history_ids[row[pk_at]] = obj.pk
        self.report.add(label, len(objs))

    def historical_question_tags(self, columns, rows):
        model = self.m.HistoricalQuestionTag
        label = model._meta.label_lower
        rows = self._shaped(label, columns, rows)
        name = model._meta.get_field("history").attname
        history_at = _column(label, columns, name)
        # Revisions of questions deleted before the backup were skipped, their tags with them.
        kept = [row for number, row in enumerate(rows, start=1)
                if _id_value(label, number, name, row[history_at]) in self.history_ids]
        objs = list(self._instances(model, columns, kept))
        for obj in objs:
            obj.pk = None
        model._default_manager.bulk_create(objs, batch_size=CHUNK)
        self.report.add(label, len(objs))

    def groups(self, columns, rows):
        for name, perms in _pairs("auth.group", rows, str, list):
            group, _ = self.m.Group._default_manager.get_or_create(name=name)
            group.permissions.add(*self._permissions(perms))
        self.report.add("auth.group", len(rows))

    def _permissions(self, labels: list[str]) -> list[int]:
        wanted = [tuple(label.split(".", 1)) for label in labels]
        found = {
            (app, codename): pk
            for pk, app, codename in self.m.Permission._default_manager.values_list(
                "pk", "content_type__app_label", "codename"
            )
        }
        return [found[w] for w in wanted if w in found]

    def user_groups(self, columns, rows):
        groups = dict(self.m.Group._default_manager.values_list("name", "pk"))
        through = self.m.UserGroup
        links = [through(user_id=u, group_id=groups[g])
                 for u, g in _pairs("accounts.user_groups", rows, int, str) if g in groups]
        through._default_manager.bulk_create(links, batch_size=CHUNK)
        self.report.add("accounts.user_groups", len(links))

    def user_permissions(self, columns, rows):
        perm_ids = {}
        for pk, app, codename in self.m.Permission._default_manager.values_list(
            "pk", "content_type__app_label", "codename"
        ):
            perm_ids[f"{app}.{codename}"] = pk
        through = self.m.UserPermission
        # A permission this version of the site no longer has is left out.
        links = [through(user_id=u, permission_id=perm_ids[p])
                 for u, p in _pairs("accounts.user_permissions", rows, int, str)
                 if p in perm_ids]
        through._default_manager.bulk_create(links, batch_size=CHUNK)
        self.report.add("accounts.user_permissions", len(links))

    def people(self, label: str, columns, rows):
        model = self.by_label[label]
        if "correcting_revision_id" in columns:
            # A plain number, not a foreign key: translated here, not by _instances.
            rows = self._shaped(label, columns, rows)
            at = columns.index("correcting_revision_id")
            history = self.m.HistoricalQuestion._meta.label_lower
            rows = [
                [*r[:at],
                 None if r[at] is None else self._translated(
                     label, n, "correcting_revision_id", r[at], self.history_ids, history),
                 *r[at + 1:]]
                for n, r in enumerate(rows, start=1)
            ]
        created = model._default_manager.bulk_create(
            list(self._instances(model, columns, rows, required=["id"])), batch_size=CHUNK
        )
        self.report.add(label, len(created))

    def dispatch(self, line: dict[str, Any]) -> None:
        label, columns, rows = line["table"], line.get("columns", []), line["rows"]
        handlers = {
            "auth.group": self.groups,
            "qa.bank": self.bank,
            "qa.section": self.section,
            "qa.tag": self.tag,
            "qa.question": self.question,
            "qa.question_tags": self.question_tags,
            "accounts.user_groups": self.user_groups,
            "accounts.user_permissions": self.user_permissions,
            self.m.HistoricalQuestion._meta.label_lower: self.historical_question,
            self.m.HistoricalQuestionTag._meta.label_lower: self.historical_question_tags,
        }
        if label not in handlers and label not in self.by_label:
            raise BackupError(f"The backup has a table this site does not know: {label!r}.")
        try:
            if label in handlers:
                handlers[label](columns, rows)
            else:
                self.people(label, columns, rows)
        except (ValidationError, ValueError, TypeError, KeyError) as exc:
            # A value of a kind no check above foresaw, in a file edited by hand: a message
            # rather than a traceback (the restore's transaction still undoes everything).
            raise BackupError(f"{label}: a row holds a value that cannot be restored "
                              f"({type(exc).__name__}: {exc}).") from None
