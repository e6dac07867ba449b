"""Planning an import against the database and reporting it; `writing` applies the plan."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.utils import timezone

from qa.importer import writing
from qa.importer.files import BankFile, BankFileError, QuestionData, content_hash, fingerprint
from qa.importer.parsing import gc_paused
from qa.importer.validation import QUESTION_KEY
from qa.models import Bank, Question, Section, Tag
from qa.search import fold
from qa.selectors.sections import forget_sections


@dataclass
class FileReport:
    label: str
    slug: str
    bank_created: bool = False
    bank_updated: bool = False
    sections_created: list[str] = field(default_factory=list)
    sections_updated: list[str] = field(default_factory=list)
    # Changed by an editor since they were imported: kept, unless forced.
    bank_kept: bool = False
    sections_kept: list[str] = field(default_factory=list)
    # In the database and no longer in the file (a whole file only); left alone.
    sections_missing: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Edited in the database since the import; left alone. Value: the file changed it too.
    skipped: dict[str, bool] = field(default_factory=dict)
    forced: list[str] = field(default_factory=list)
    # Forced over an editor's substantive correction (a newer answer version than the file
    # last wrote): like a revert of it, the answer version goes up and learners are re-asked.
    undone: list[str] = field(default_factory=list)
    # Imported, published and no longer in the file; left alone (an editor retires them).
    missing: list[str] = field(default_factory=list)
    # New questions asking what another question of the bank asks: (new key, other key).
    same_prompt: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.bank_created or self.bank_updated or self.sections_created
                    or self.sections_updated or self.created or self.updated or self.forced)


def import_banks(files: Sequence[BankFile], *, force: bool = False, substantive: bool = False,
                 dry_run: bool = False, partial: bool = False,
                 reason: str = "") -> list[FileReport]:
    """Upsert the banks of `files`. Run it inside one transaction (the command does).

    `force`: overwrite questions, sections and bank details edited in the database too (each
    question gets a revision).
    `substantive`: an imported change of an answer text bumps `answer_version` (and re-queues
    the learners who studied the old version); by default it counts as a typo-level fix so
    nobody's schedule moves.
    `dry_run`: plan and report, write nothing.
    `partial`: accept a file that leaves out published questions it imported before (else
    refused, as a file cut short would).
    `reason`: the revisions' reason (learners read it in the correction log when the import is
    substantive); by default "Imported from <the file's name>".
    """
    stamp = timezone.now()
    with gc_paused():
        reports = [
            _import_bank(bank_file, force=force, substantive=substantive, dry_run=dry_run,
                         partial=partial, stamp=stamp, reason=reason)
            for bank_file in files
        ]
    if any(report.changed for report in reports) and not dry_run:
        forget_sections()  # bulk writes send no signals
    return reports


def _import_bank(bank_file: BankFile, *, force: bool, substantive: bool, dry_run: bool,
                 partial: bool, stamp: datetime, reason: str) -> FileReport:
    report = FileReport(label=bank_file.label, slug=bank_file.slug)
    clashes = list(
        Question.objects.filter(key__startswith=f"{bank_file.slug}/")
        .exclude(bank__slug=bank_file.slug).values_list("key", flat=True)[:5]
    )
    if clashes:
        raise BankFileError([f"{bank_file.label}: key {key!r} belongs to a question of another "
                             f"bank in the database" for key in clashes])
    _check_tag_spellings(bank_file)

    bank = _upsert_bank(bank_file, report, force=force, dry_run=dry_run)
    sections = _upsert_sections(bank, bank_file, report, force=force, dry_run=dry_run,
                                partial=partial)
    section_key_by_id = {s.pk: key for key, s in sections.items()}

    existing: dict[str, Question] = {}
    links: writing.Links = defaultdict(list)
    tag_names: dict[int, list[str]] = defaultdict(list)  # question id -> tag names
    if bank.pk:
        # search_text is rebuilt for what is written, never read: not worth loading 100k times.
        existing = {q.key: q for q in
                    Question.objects.filter(bank=bank).defer("search_text").order_by()}
        for row_id, question_id, tag_id, name in (
            Question.tags.through.objects.filter(question__bank=bank)
            .values_list("id", "question_id", "tag_id", "tag__name").order_by("id")
        ):
            links[question_id].append((row_id, tag_id))
            tag_names[question_id].append(name)
        strays = {q.section_id for q in existing.values()} - set(section_key_by_id)
        if strays:
            section_key_by_id.update(Section.objects.filter(pk__in=strays).values_list("pk", "key"))

    def db_hash(question: Question) -> str:
        return content_hash(
            section=section_key_by_id[question.section_id], number=question.number,
            prompt=question.prompt, answer=question.answer, tags=tag_names[question.pk],
            status=question.status,
        )

    listed = bank_file.questions
    if partial:
        listed = _numbered_in_place(listed, existing, section_key_by_id)
    to_create: list[QuestionData] = []
    to_update: list[tuple[Question, QuestionData, bool]] = []  # (row, data, forced)
    adopt_hash: list[Question] = []
    clashes: list[str] = []
    for data in listed:
        question = existing.get(data.key)
        if question is None:
            to_create.append(data)
            report.created.append(data.key)
            continue
        current = db_hash(question)
        if current != data.hash and not question.import_hash:
            # Added in the admin, never imported: the file's question of that key is another
            # one, which must not take its place (its learners' history, notes, bookmarks).
            clashes.append(data.key)
        elif current == data.hash:
            report.unchanged.append(data.key)
            # The file caught up with an editor's change: from now on this is the imported
            # content again. Not from a partial file, whose numbers are the bank's own (an
            # editor's renumbering would pass for the file's).
            if question.import_hash != data.hash and not partial:
                question.import_hash = data.hash
                adopt_hash.append(question)
        elif current == question.import_hash:
            to_update.append((question, data, False))
            report.updated.append(data.key)
        elif force:
            to_update.append((question, data, True))
            report.forced.append(data.key)
        else:
            report.skipped[data.key] = data.hash != question.import_hash
    if clashes:
        raise BankFileError([
            f"{bank_file.label}: key {key!r} belongs to a question an editor added in the admin, "
            "not to one imported from this file. Give the file's question another key (or "
            "renumber the editor's in the file, if they are the same question)."
            for key in clashes[:20]])
    # A key names the section its question was first filed under, which the question keeps
    # when an editor moves it (so a bank's download may file it elsewhere): a new question's
    # key must name one of the bank's sections.
    misnamed = [data for data in to_create
                if QUESTION_KEY.fullmatch(data.key).group(2) not in sections]
    if misnamed:
        raise BankFileError([
            f"{bank_file.label}: key {data.key!r} of a new question names no section of the "
            f"bank (sections: {', '.join(sorted(sections))})" for data in misnamed[:20]])
    file_keys = {data.key for data in bank_file.questions}
    report.same_prompt = _asking_again(to_create, listed, existing)
    # Questions an editor added, or retired or unpublished, are the editors' own business.
    report.missing = [key for key in existing if key not in file_keys
                      and existing[key].import_hash
                      and existing[key].status == Question.Status.PUBLISHED]
    dropped = sorted(report.missing)
    if dropped and not partial:
        raise BankFileError([
            f"{bank_file.label}: {len(dropped)} published questions imported from this bank "
            f"before are not in the file (first: {', '.join(dropped[:5])}). A file cut short "
            "would leave them out. If the file leaves them out on purpose, import it with "
            "--partial (they stay as they are; retire them in the admin)."
        ])

    to_update = _without_undoing_editors(to_update, report, force=force)
    report.undone += [key for key in _undoing_corrections(
        [(q, d) for q, d, forced in to_update if forced]) if key not in report.undone]
    if dry_run:
        return report
    writing.adopt_hashes(adopt_hash)
    to_update = _lock_as_read(to_update, report)
    if not (to_create or to_update):
        return report

    tags = writing.tag_ids({tag for data in to_create for tag in data.tags}
                           | {tag for _q, data, _f in to_update for tag in data.tags})
    # The file's name, not its path: a correction's reason is public.
    name = bank_file.path.name
    reasons = (writing.change_reason(reason or f"Imported from {name}"),
               writing.change_reason(reason or f"Forced re-import from {name}"))
    if to_create:
        writing.create_questions(
            bank_id=bank.pk, section_ids={key: s.pk for key, s in sections.items()},
            questions=to_create, tags=tags, stamp=stamp, reason=reasons[0],
        )
    if to_update:
        writing.update_questions(updates=to_update, sections=sections, links=links, tags=tags,
                                 substantive=substantive, stamp=stamp, reasons=reasons,
                                 undoing=set(report.undone))
    return report


def _without_undoing_editors(updates: list[tuple[Question, QuestionData, bool]],
                             report: FileReport, *,
                             force: bool) -> list[tuple[Question, QuestionData, bool]]:
    """`updates`, the unforced ones that would bring back the prompt and answer an editor's
    revision replaced taken as edited by editors: skipped, or with `force` overwritten as
    such (and, when that undoes a substantive correction, reported as undoing it). The file
    is then older than the correction, not news: say the bank's download was imported (the
    file caught up, and the corrected text counts as imported) and then the original file
    again."""
    replaced = writing.replaced_by_editors(
        [question.pk for question, _data, forced in updates if not forced])
    kept = []
    for question, data, forced in updates:
        version = replaced.get(question.pk, {}).get((data.prompt, data.answer))
        if version is not None:
            report.updated.remove(data.key)
            if not force:
                report.skipped[data.key] = True
                continue
            report.forced.append(data.key)
            if version != question.answer_version and data.answer != question.answer:
                report.undone.append(data.key)
            forced = True
        kept.append((question, data, forced))
    return kept


def _asking_again(new: list[QuestionData], listed: list[QuestionData],
                  existing: dict[str, Question]) -> list[tuple[str, str]]:
    """The new questions whose prompt another question of the bank (in the file or in the
    database) has too, whatever its spaces and capitals: the same question pasted under a new
    key, most likely."""
    if not new:
        return []

    def said(prompt: str) -> str:
        return " ".join(fold(prompt).split())

    asks = {data.key: said(data.prompt) for data in listed}
    first: dict[str, str] = {}
    for key, question in existing.items():  # as the file leaves them, the others
        if key not in asks and question.status == Question.Status.PUBLISHED:
            first.setdefault(said(question.prompt), key)
    for key, prompt in asks.items():
        first.setdefault(prompt, key)
    return [(data.key, first[asks[data.key]]) for data in new
            if first[asks[data.key]] != data.key]


def _undoing_corrections(forced: list[tuple[Question, QuestionData]]) -> list[str]:
    """The keys of `forced` whose answer the file replaces although an editor corrected it
    substantively since the file last wrote it (the answer version is newer than at the last
    import): forcing the file's answer undoes that correction. (A file that carries the
    corrected answer and words the prompt otherwise undoes nothing learners studied.)"""
    changed = {question.pk: (question, data) for question, data in forced
               if question.answer != data.answer}
    imported = writing.imported_versions([question for question, _data in changed.values()])
    return [data.key for pk, (question, data) in changed.items()
            if question.answer_version != imported.get(pk, question.answer_version)]



def _check_tag_spellings(bank_file: BankFile) -> None:
    """A tag is one topic whatever its capitals (the admin refuses `sft` beside `SFT`): the
    file spells each tag as the database does, and one way throughout."""
    existing = set(Tag.objects.values_list("name", flat=True))
    spelled: dict[str, str] = {}
    for name in sorted(existing):
        spelled.setdefault(name.casefold(), name)
    errors = []
    for data in bank_file.questions:
        for name in data.tags:
            if name in existing:
                continue
            usual = spelled.setdefault(name.casefold(), name)
            if usual != name:
                errors.append(f"{bank_file.label}: question {data.key!r}: tag {name!r} is "
                              f"spelled {usual!r} elsewhere; use one spelling")
    if errors:
        raise BankFileError(errors[:20])

def _numbered_in_place(questions: list[QuestionData], existing: dict[str, Question],
                       section_key_by_id: dict[int, str]) -> list[QuestionData]:
    """A partial file's questions, numbered as the bank has them: its order speaks only for
    what it lists, so a question keeps its place in its section, and one new to a section
    comes after the section's last."""
    last: dict[str, int] = defaultdict(int)
    for question in existing.values():
        key = section_key_by_id[question.section_id]
        last[key] = max(last[key], question.number)
    numbered = []
    for data in questions:
        row = existing.get(data.key)
        if row is not None and section_key_by_id[row.section_id] == data.section:
            number = row.number
        else:
            last[data.section] += 1
            number = last[data.section]
        numbered.append(replace(data, number=number))
    return numbered


def _lock_as_read(updates: list[tuple[Question, QuestionData, bool]],
                  report: FileReport) -> list[tuple[Question, QuestionData, bool]]:
    """Lock the questions about to be updated, until the import commits. One an editor saved
    after the import read it (a new revision) is left out and reported as skipped, as if it
    had been edited before: the editor's save is never overwritten unseen."""
    current: dict[int, int] = {}
    for chunk in writing.chunks([question.pk for question, _data, _forced in updates]):
        current.update(Question.objects.select_for_update().filter(pk__in=chunk)
                       .values_list("pk", "revision"))
    kept = []
    for question, data, forced in updates:
        if current.get(question.pk) == question.revision:
            kept.append((question, data, forced))
            continue
        (report.forced if forced else report.updated).remove(data.key)
        if data.key in report.undone:
            report.undone.remove(data.key)
        report.skipped[data.key] = True
    return kept


def _upsert_bank(bank_file: BankFile, report: FileReport, *, force: bool,
                 dry_run: bool) -> Bank:
    bank = Bank.objects.filter(slug=bank_file.slug).first()
    values = {"title": bank_file.title, "language": bank_file.language,
              "description": bank_file.description, "source": bank_file.source}
    if bank is None:
        report.bank_created = True
        bank = Bank(slug=bank_file.slug, import_hash=fingerprint(*values.values()), **values)
        save = True
    else:
        outcome, save = _merge(bank, values, force=force)
        report.bank_updated = outcome == _UPDATED
        report.bank_kept = outcome == _KEPT
    if save and not dry_run:
        bank.save()
    return bank


def _upsert_sections(bank: Bank, bank_file: BankFile, report: FileReport, *, force: bool,
                     dry_run: bool, partial: bool) -> dict[str, Section]:
    """The file's sections, in its order; a partial file's keep their places in the bank, and
    new ones come after the last."""
    sections = {s.key: s for s in Section.objects.filter(bank=bank)} if bank.pk else {}
    after = max((s.position for s in sections.values()), default=-1) + 1
    for data in bank_file.sections:
        section = sections.get(data.key)
        position = data.position
        if partial:
            position = section.position if section is not None else after
            after += section is None
        values = {"title": data.title, "position": position}
        if section is None:
            report.sections_created.append(data.key)
            section = sections[data.key] = Section(
                bank=bank, key=data.key, import_hash=fingerprint(*values.values()), **values
            )
            save = True
        else:
            outcome, save = _merge(section, values, force=force, adopt=not partial)
            if outcome == _UPDATED:
                report.sections_updated.append(data.key)
            elif outcome == _KEPT:
                report.sections_kept.append(data.key)
        if save and not dry_run:
            section.save()
    if not partial:
        listed = {data.key for data in bank_file.sections}
        report.sections_missing = [key for key in sections if key not in listed]
    return sections


_UNCHANGED, _UPDATED, _KEPT = "unchanged", "updated", "kept"


def _merge(row: Bank | Section, values: dict[str, str | int], *, force: bool,
           adopt: bool = True) -> tuple[str, bool]:
    """Bring the file's `values` to an existing bank or section, as questions are brought:
    unless an editor changed them since they were imported (then the editor's are kept, or
    overwritten with `force`). Returns (what happened, whether `row` needs saving). `adopt`:
    whether values equal to the row's may be taken as the file catching up with an editor's
    change (not when some of them came from the row)."""
    wanted = fingerprint(*values.values())
    current = fingerprint(*(getattr(row, name) for name in values))
    if current == wanted:
        # Nothing to write, or the file caught up with an editor's change.
        if not adopt or row.import_hash == wanted:
            return _UNCHANGED, False
        row.import_hash = wanted
        return _UNCHANGED, True
    if current != row.import_hash and not force:
        return _KEPT, False
    for name, value in values.items():
        setattr(row, name, value)
    row.import_hash = wanted
    return _UPDATED, True
