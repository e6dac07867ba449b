"""Reads for browsing and searching the bank.

Learners see published questions only; staff (editors) may also open drafts and retired
questions to preview them. Every function here runs a fixed number of queries, whatever the
size of the bank.

Search (see qa/search.py for the tokens): a query is cut into terms, Latin words and runs of
Chinese characters, and a question must contain every term, in its prompt, answer or tags.
- PostgreSQL: full text over the stored `search_vector` column (migration 0005, GIN-indexed);
  a run of characters is the phrase of its character pairs, so it matches exactly where it
  occurs, and a single character is a prefix query. Every query length is served by the index.
- SQLite (development) and queries with no indexable term (only punctuation, say): every word
  must occur in the prompt, the answer or a tag name (`icontains`).
Ranking: a question whose prompt contains every word of the query comes first, then (on
PostgreSQL) ts_rank, then bank order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVectorExact,
    SearchVectorField,
)
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    Expression,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from qa.models import Bank, Bookmark, Question, Section, StudyState
from qa.search import Term, fold, query_terms

SEARCH_LIMIT = 50
CANDIDATES = 100
SECTION_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 100
SNIPPET_BEFORE = 40
SNIPPET_LENGTH = 160


def can_preview(user: Any) -> bool:
    """Editors (and superusers) may open draft and retired questions; learners, and staff
    who may not see the bank in the admin, may not."""
    return bool(user is not None and user.is_authenticated and user.is_staff
                and user.has_perm("qa.view_question"))


def visible_questions(user: Any) -> QuerySet[Question]:
    if can_preview(user):
        return Question.objects.all()
    return Question.objects.published()


# --- browsing -------------------------------------------------------------------------------


def banks_with_counts() -> QuerySet[Bank]:
    """All banks with their number of sections and of published questions (one query)."""
    published = (
        Question.objects.published().filter(bank=OuterRef("pk")).order_by()
        .values("bank").annotate(n=Count("pk")).values("n")
    )
    sections = (
        Section.objects.filter(bank=OuterRef("pk")).order_by()
        .values("bank").annotate(n=Count("pk")).values("n")
    )
    return Bank.objects.annotate(
        question_count=Coalesce(Subquery(published, output_field=IntegerField()), 0),
        section_count=Coalesce(Subquery(sections, output_field=IntegerField()), 0),
    )


def sections_with_progress(*, bank: Bank, user: Any) -> list[Section]:
    """The bank's sections in order, each with `total` published questions and, for a
    signed-in learner, how many of them they have `studied` and how many are `due` now.
    One aggregated query."""
    published = Q(questions__status=Question.Status.PUBLISHED)
    sections = Section.objects.filter(bank=bank).order_by("position", "pk")
    if user is None or not user.is_authenticated:
        return list(sections.annotate(total=Count("questions", filter=published),
                                      studied=Value(0), due=Value(0)))
    sections = sections.alias(
        mine=FilteredRelation(
            "questions__study_states", condition=Q(questions__study_states__user=user)
        )
    )
    return list(sections.annotate(
        total=Count("questions", filter=published),
        studied=Count("mine", filter=published),
        due=Count("mine", filter=published & Q(mine__due__lte=timezone.now())),
    ))


def section_page(*, section: Section, user: Any, page: Any = 1) -> Page:
    """One page of the section's questions in order, with tags and, for a signed-in learner,
    their `my_due` (None: never studied). Three queries: count, page, tags."""
    questions = (
        visible_questions(user).filter(section=section)
        .order_by("number", "pk").prefetch_related("tags")
    )
    if user is not None and user.is_authenticated:
        questions = questions.annotate(my_due=Subquery(
            StudyState.objects.filter(user=user, question=OuterRef("pk")).values("due")[:1]
        ))
    return Paginator(questions, SECTION_PAGE_SIZE).get_page(page)


def neighbours(*, question: Question, user: Any) -> tuple[Question | None, Question | None]:
    """The previous and next question in the same section (in the order learners see)."""
    siblings = visible_questions(user).filter(section_id=question.section_id).only(
        "key", "prompt", "number", "section_id"
    )
    before = Q(number__lt=question.number) | Q(number=question.number, pk__lt=question.pk)
    after = Q(number__gt=question.number) | Q(number=question.number, pk__gt=question.pk)
    previous = siblings.filter(before).order_by("-number", "-pk").first()
    following = siblings.filter(after).order_by("number", "pk").first()
    return previous, following


# --- search ---------------------------------------------------------------------------------


class _StoredVector(Expression):
    """A tsvector column of qa_question generated by PostgreSQL from `search_text` (migration
    0005): `search_vector` (prompt, answer and tags) or `prompt_vector` (the prompt). They are
    not model fields, so that no page ever loads them."""

    output_field = SearchVectorField()

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name_unless_alias(alias)}.{self.column}", []


@dataclass(frozen=True)
class SearchResult:
    question: Question
    prompt_html: SafeString
    snippet_html: SafeString
    bookmarked: bool
    tags: list[str]


@dataclass(frozen=True)
class SearchResults:
    query: str
    results: list[SearchResult]
    has_more: bool


def normalise_query(query: str) -> str:
    return " ".join((query or "").split())[:MAX_QUERY_LENGTH]


def _bare(word: str) -> str:
    """`word` folded, without invisible characters (a zero-width space or soft hyphen pasted
    from a web page) and without the punctuation and symbols around it (`注意力？`, `“幻觉”`,
    `**SFT**`, `` `SFT` ``, `-SFT/`), except a run of `+` or `#` right after it (`c++`, `c#`)
    and a dot right before letters (`.net`)."""
    word = "".join(c for c in fold(word) if unicodedata.category(c) != "Cf")
    start, end = 0, len(word)
    while start < end and unicodedata.category(word[start])[0] in "PS":
        start += 1
    if start and word[start - 1] == "." and word[start:start + 1].isalpha():
        start -= 1  # `.net`, `.gitignore`: the dot is part of the name
    while end > start and unicodedata.category(word[end - 1])[0] in "PS":
        end -= 1
    if end > start:
        while end < len(word) and word[end] in "+#":
            end += 1
    return word[start:end]


# Punctuation a name keeps inside it: `node.js`, `gpt-4`, `c++11`, `c#`, `TCP/IP`, `don't`.
_JOINERS = frozenset("-._+#/'")


def _pieces(word: str) -> list[str]:
    """`word` cut at the punctuation and symbols inside it that no name keeps: a sentence
    pasted with its punctuation (`下降，如何缓解`, `LLM（Large`) stands for its pieces, whose
    punctuation in the text may be full-width where the folded query's is not."""
    pieces, piece = [], []
    for char in fold(word):  # `Ｃ＋＋` is `c++`
        if unicodedata.category(char)[0] in "PS" and char not in _JOINERS:
            pieces.append("".join(piece))
            piece = []
        else:
            piece.append(char)
    pieces.append("".join(piece))
    return [piece for piece in pieces if piece]


def _needles(query: str) -> list[str]:
    """What must occur in a matching question's text: the pieces of the query's words
    (_pieces), folded as the index folds them and without punctuation around them (`c++` and
    `.net` keep theirs), except that a piece mixing scripts (`lora微调`) stands for its terms
    (`lora`, `微调`). A word of punctuation only stands for itself, in a query of nothing
    else."""
    needles: dict[str, None] = {}
    punctuation: dict[str, None] = {}
    for word in query.split():
        pieces = _pieces(word)
        if not pieces:
            punctuation.setdefault(_bare(word) or word.lower(), None)
        for piece in pieces:
            terms = query_terms(piece)
            if len({term.chinese for term in terms}) > 1:
                found = [term.text for term in terms]
            else:
                found = [_bare(piece) or piece.lower()]
            for needle in found:
                needles.setdefault(needle, None)
    return list(needles or punctuation)


def _contains_all(words: list[str]) -> Q:
    condition = Q()
    for word in words:
        tagged = Question.tags.through.objects.filter(
            question=OuterRef("pk"), tag__name__icontains=word
        )
        condition &= Q(prompt__icontains=word) | Q(answer__icontains=word) | Exists(tagged)
    return condition


def _full_text_query(terms: list[Term]) -> SearchQuery:
    queries = [SearchQuery(text, config="simple", search_type=kind)
               for text, kind in (term.tsquery() for term in terms)]
    combined = queries[0]
    for query in queries[1:]:
        combined &= query
    return combined


def _flag(condition: Q | SearchVectorExact) -> Case:
    """True where `condition` holds, else False, as a column to order by."""
    return Case(When(condition, then=Value(True)), default=Value(False),
                output_field=BooleanField())


def _candidates(tsquery: SearchQuery, exact: Q) -> QuerySet[Question]:
    """The ids of at most 2 × CANDIDATES matching questions, prompt matches included: ranking
    reads each candidate's stored vector, so a term that occurs in half of a 100,000-question
    bank must not rank them all. Below CANDIDATES matches (every curated bank) this is all of
    them; above it, the best of the prompt matches and of the first other matches are shown,
    and the page says there are more. `exact`: what must also occur as typed, checked before
    the cap."""
    published = Question.objects.published().filter(exact)
    in_prompt = (published.alias(vector=_StoredVector("prompt_vector"))
                 .filter(vector=tsquery).order_by().values("pk")[:CANDIDATES])
    anywhere = (published.alias(vector=_StoredVector("search_vector"))
                .filter(vector=tsquery).order_by().values("pk")[:CANDIDATES])
    return in_prompt.union(anywhere)


def tag_names(question_ids: list[int]) -> dict[int, list[str]]:
    """{question id: its tag names, sorted}, in one query (a prefetch would build a manager
    and a queryset for every result)."""
    names: dict[int, list[str]] = {}
    pairs = (Question.tags.through.objects.filter(question_id__in=question_ids)
             .order_by("tag__name").values_list("question_id", "tag__name"))
    for question_id, name in pairs:
        names.setdefault(question_id, []).append(name)
    return names


def search_questions(*, query: str, user: Any = None, limit: int = SEARCH_LIMIT) -> SearchResults:
    """Published questions matching `query`, best first, with the match highlighted.

    For a signed-in user each result says whether they bookmarked it (no extra query).
    Two queries: the search and the tags of the results.
    """
    query = normalise_query(query)
    words = _needles(query)
    if not words:
        return SearchResults(query=query, results=[], has_more=False)

    terms = query_terms(query)
    questions = (Question.objects.published().select_related("section", "bank")
                 .defer("search_text"))
    if connection.vendor == "postgresql" and terms:
        tsquery = _full_text_query(terms)
        # A word the index keeps less of (`c++` is indexed as `c`) must occur as it is typed.
        indexed = {term.text for term in terms}
        exact = _contains_all([word for word in words if word not in indexed])
        questions = questions.filter(pk__in=_candidates(tsquery, exact)).annotate(
            prompt_hit=_flag(SearchVectorExact(_StoredVector("prompt_vector"), tsquery)),
            rank=SearchRank(_StoredVector("search_vector"), tsquery),
        )
        order: list[Any] = [F("prompt_hit").desc(), F("rank").desc()]
    else:
        prompt_hit = Q()
        for word in words:
            prompt_hit &= Q(prompt__icontains=word)
        questions = questions.filter(_contains_all(words)).annotate(prompt_hit=_flag(prompt_hit))
        order = [F("prompt_hit").desc()]
    if user is not None and user.is_authenticated:
        questions = questions.annotate(
            bookmarked=Exists(Bookmark.objects.filter(user=user, question=OuterRef("pk")))
        )
    found = list(
        questions.order_by(*order, "bank__title", "section__position", "number", "pk")[: limit + 1]
    )
    rows = found[:limit]
    tags = tag_names([question.pk for question in rows])
    pattern = highlight_pattern(query)
    results = [
        SearchResult(
            question=question,
            prompt_html=highlight(question.prompt, pattern),
            snippet_html=snippet(question.answer, pattern),
            bookmarked=bool(getattr(question, "bookmarked", False)),
            tags=tags.get(question.pk, []),
        )
        for question in rows
    ]
    return SearchResults(query=query, results=results, has_more=len(found) > limit)


# --- highlighting ---------------------------------------------------------------------------


def highlight_pattern(query: str) -> re.Pattern[str] | None:
    """A case-insensitive pattern for what the query looks for (see `_needles`), longest
    first."""
    query = normalise_query(query)
    terms = set(_needles(query))
    terms = {t for t in terms if t.strip()}
    if not terms:
        return None
    alternatives = sorted(terms, key=lambda t: (-len(t), t))
    return re.compile("|".join(re.escape(t) for t in alternatives), re.IGNORECASE)


def highlight(text: str, pattern: re.Pattern[str] | None) -> SafeString:
    """`text` with every match wrapped in <mark>; everything else HTML-escaped."""
    if pattern is None:
        return escape(text)
    pieces: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[last:match.start()]))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of user text is escaped above


_MARKDOWN_NOISE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images → alt text
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links → their text
    (re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)]|#{1,6}|>)\s+", re.MULTILINE), ""),  # markers
    (re.compile(r"(\*\*|__|`+|~~)"), ""),  # emphasis and code marks
    (re.compile(r"\s+"), " "),
]


def plain_text(markdown_text: str) -> str:
    """Markdown reduced to the words a reader sees, on one line (for snippets)."""
    text = markdown_text or ""
    for regex, replacement in _MARKDOWN_NOISE:
        text = regex.sub(replacement, text)
    return text.strip()


_BOUNDARY = re.compile(r"[。！？；，：、.!?;,:\s]")


def _snippet_start(text: str, hit: int) -> int:
    """Where an excerpt leading up to `hit` should start: after a punctuation mark or space
    within SNIPPET_BEFORE characters, so it does not open in the middle of a word."""
    start = max(0, hit - SNIPPET_BEFORE)
    if start == 0:
        return 0
    boundary = _BOUNDARY.search(text, start, hit)
    return boundary.end() if boundary else start


def snippet(markdown_text: str, pattern: re.Pattern[str] | None) -> SafeString:
    """A short, highlighted excerpt of the answer around its first match (or its start)."""
    text = plain_text(markdown_text)
    match = pattern.search(text) if pattern else None
    start = _snippet_start(text, match.start()) if match else 0
    end = min(len(text), start + SNIPPET_LENGTH)
    excerpt = text[start:end]
    html = highlight(excerpt, pattern)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(f"{prefix}{html}{suffix}")  # noqa: S308 - html is escaped by highlight()
