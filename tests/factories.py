"""factory_boy factories: the one place tests make data."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Membership, Team, User
from qa.models import Bank, Question, Section
from qa.search import build_search_text

PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])
            # allauth requires a verified primary address before it lets someone log in.
            from allauth.account.models import EmailAddress

            EmailAddress.objects.update_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class BankFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bank
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"bank-{n}")
    title = factory.Sequence(lambda n: f"Bank {n}")


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    bank = factory.SubFactory(BankFactory)
    key = factory.Sequence(lambda n: f"section-{n}")
    title = factory.Sequence(lambda n: f"Section {n}")
    position = factory.Sequence(lambda n: n)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    section = factory.SubFactory(SectionFactory)
    bank = factory.SelfAttribute("section.bank")
    key = factory.Sequence(lambda n: f"test/q/{n:05d}")
    number = factory.Sequence(lambda n: n + 1)
    prompt = factory.Sequence(lambda n: f"什么是注意力机制 {n}？")
    answer = "注意力机制让模型在每个位置**加权**地看其他位置。"
    status = Question.Status.PUBLISHED


def bulk_questions(section: Section, count: int, *, start: int = 1) -> list[Question]:
    """Many questions at once, for query-count tests at larger sizes."""
    now = timezone.now()
    rows = []
    for i in range(start, start + count):
        prompt = f"第{i}题：什么是层归一化 layer normalization？"
        answer = f"答案 {i}：归一化每一层的激活。"
        rows.append(
            Question(
                key=f"{section.bank.slug}/{section.key}/{i:05d}",
                bank=section.bank,
                section=section,
                number=i,
                prompt=prompt,
                answer=answer,
                search_text=build_search_text(prompt, answer),
                created_at=now,
            )
        )
    return Question.objects.bulk_create(rows)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.MEMBER


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Invitation"

    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.MEMBER
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    max_uses = 1


class StudySetFactory(factory.django.DjangoModelFactory):
    """A personal set by default; pass team=... (and owner=None) for a team's set."""

    class Meta:
        model = "qa.StudySet"

    title = factory.Sequence(lambda n: f"Set {n}")
    owner = factory.SubFactory(UserFactory)
    team = None
    visibility = "private"


class SetItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "qa.SetItem"

    study_set = factory.SubFactory(StudySetFactory)
    question = factory.SubFactory(QuestionFactory)
    position = factory.Sequence(lambda n: n + 1)


class StudyStateFactory(factory.django.DjangoModelFactory):
    """A learner's FSRS card in Review state, due now unless told otherwise."""

    class Meta:
        model = "qa.StudyState"

    user = factory.SubFactory(UserFactory)
    question = factory.SubFactory(QuestionFactory)
    state = 2
    step = None
    stability = 2.0
    difficulty = 5.0
    due = factory.LazyFunction(timezone.now)
    last_review = factory.LazyFunction(lambda: timezone.now() - timedelta(days=5))
    reps = 3


class BookmarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "qa.Bookmark"

    user = factory.SubFactory(UserFactory)
    question = factory.SubFactory(QuestionFactory)


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "qa.Note"

    user = factory.SubFactory(UserFactory)
    question = factory.SubFactory(QuestionFactory)
    body = "我的笔记：**注意** 缩放。"


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "qa.Tag"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"标签{n}")


class ErrorReportFactory(factory.django.DjangoModelFactory):
    """An open report on the answer version the question has now."""

    class Meta:
        model = "qa.ErrorReport"

    reporter = factory.SubFactory(UserFactory)
    question = factory.SubFactory(QuestionFactory)
    answer_version = factory.SelfAttribute("question.answer_version")
    kind = "wrong"
    message = "答案里的公式写错了。"
