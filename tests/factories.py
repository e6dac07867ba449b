"""factory_boy factories: the one place tests make data."""

from __future__ import annotations

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
