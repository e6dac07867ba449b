"""Pins the shipped question bank (fixtures/banks/llm-zh.yaml) to its seed.

Two kinds of test:

* shape: the fixture has the two sections, 14 + 18 questions, stable keys, non-empty text,
  tags from the shared vocabulary, full-width punctuation;
* faithfulness: every prompt and answer equals the seed's after (a) the editorial decisions in
  EDITORIAL_DECISIONS are applied to the seed text and (b) both sides go through normalise().
  Editing an answer in the fixture without recording the edit here (and in fixtures/README.md)
  makes test_fixture_matches_seed fail.

No database: plain pytest functions, runnable with ``pytest -p no:django``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "fixtures" / "banks" / "llm-zh.yaml"
README = REPO_ROOT / "fixtures" / "README.md"
SEED = REPO_ROOT.parent / "shared" / "seeds" / "000_4f3d5d9f020c531c.txt"

SECTIONS = [("basics", "基础篇", "一、基础篇", 14), ("advanced", "进阶篇", "二、进阶篇", 18)]
KEY_RE = re.compile(r"^llm-zh/(?P<section>[a-z]+)/(?P<number>\d{2})$")
ALL_KEYS = [
    f"llm-zh/{key}/{number:02d}"
    for key, _title, _heading, count in SECTIONS
    for number in range(1, count + 1)
]

# The small, consistent tag vocabulary (documented in fixtures/README.md).
TAG_VOCABULARY = frozenset(
    {
        "基础概念",
        "模型架构",
        "注意力",
        "分词",
        "归一化",
        "激活函数",
        "开源生态",
        "生成",
        "幻觉",
        "多模态",
        "长文本",
        "训练",
        "微调",
        "SFT",
        "数据",
        "领域模型",
        "显存",
        "评测",
    }
)

# Deliberate deviations from the seed, applied to the seed's answer text before comparison:
# key -> [(fragment as it is in the seed, what the fixture has instead)]. Each seed fragment must
# occur exactly once in that question's seed answer, and each non-empty fixture fragment must occur
# in the fixture's answer, so the table cannot go stale. Every entry is explained in
# fixtures/README.md ("Editorial decisions"). Rules that apply everywhere (punctuation width,
# Markdown list/bold markup, paragraph breaks) are handled by normalise(), not listed here.
EDITORIAL_DECISIONS: dict[str, list[tuple[str, str]]] = {
    # A line break that cuts a sentence in two (extraction artifact): joined.
    "llm-zh/basics/02": [("前缀\n和输入序列", "前缀和输入序列")],
    # OCR error: lowercase L for capital I.
    "llm-zh/basics/05": [("OpenAl", "OpenAI")],
    # Rule "stray spaces from line wrapping": a space inside a Chinese word or phrase is removed.
    "llm-zh/basics/07": [
        ("输 出", "输出"),
        ("灵 活", "灵活"),
        ("解码器 根据", "解码器根据"),
    ],
    "llm-zh/basics/10": [("训练 过程", "训练过程")],
    "llm-zh/basics/13": [
        ("从而 捕捉", "从而捕捉"),
        # The first list item was run into the intro paragraph: split into a list.
        ("自注意力机制。Multi-query Attention:", "自注意力机制。\n\n- **Multi-query Attention**："),
    ],
    "llm-zh/advanced/06": [
        ("语言 和知识", "语言和知识"),
        # Stray "=" after the final full stop (extraction artifact).
        ("生成文本。=", "生成文本。"),
    ],
    # The last "item" is a topic heading of the source document's next part, not part of the answer.
    "llm-zh/advanced/07": [("\n- 大模型参数微调、训练、推理", "")],
    "llm-zh/advanced/08": [("GPT- 3", "GPT-3")],
    "llm-zh/advanced/17": [("词表扩 增", "词表扩增")],
}

# Half-width and full-width forms of the punctuation the fixture converts (README: "Punctuation").
HALF_WIDTH = ",:?;()"
FULL_WIDTH = "，：？；（）"
_TO_HALF = str.maketrans(FULL_WIDTH, HALF_WIDTH)
# Punctuation around which spacing carries no meaning once the text is in full-width form.
_PUNCT = re.escape(HALF_WIDTH + "。、“”")


def normalise(text: str) -> str:
    """Reduce text to what a reader sees, so that only wording differences remain.

    1. Markdown markup is dropped: a leading "- " list marker on a line, and "**" bold markers.
    2. Full-width ，：？；（） become half-width ,:?;() (the fixture uses full-width, the
       seed mostly half-width).
    3. Whitespace next to punctuation (,:?;()。、“”) is removed: it is line/paragraph structure or
       typographic spacing, not wording.
    4. Any other run of whitespace (including line breaks) folds to one space; ends are stripped.

    Spaces between Latin and Chinese text ("Transformer 模型") are kept, so removing or adding one
    is still a change the test sees.
    """
    text = re.sub(r"^[ \t]*- ", "", text, flags=re.MULTILINE)
    text = text.replace("**", "")
    text = text.translate(_TO_HALF)
    text = re.sub(rf"\s*([{_PUNCT}])\s*", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


@cache
def load_fixture() -> dict:
    with FIXTURE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def parse_seed() -> tuple[list[str], dict[str, tuple[str, str]]]:
    """Return (preamble lines, {key: (prompt, answer)}) parsed from the seed file."""
    headings = {heading: key for key, _title, heading, _count in SECTIONS}
    preamble: list[str] = []
    questions: dict[str, list] = {}
    section = None
    current: list | None = None
    for line in SEED.read_text(encoding="utf-8").splitlines():
        if line.strip() in headings:
            section = headings[line.strip()]
            current = None
            continue
        if section is None:
            preamble.append(line)
            continue
        match = re.match(r"^(\d+)、(.+)$", line)
        if match:
            key = f"llm-zh/{section}/{int(match.group(1)):02d}"
            assert key not in questions, f"duplicate question number in seed: {key}"
            current = questions[key] = [match.group(2), []]
        else:
            assert current is not None, f"seed text outside a question: {line!r}"
            current[1].append(line)
    return preamble, {key: (prompt, "\n".join(lines)) for key, (prompt, lines) in questions.items()}


def seed_or_skip() -> tuple[list[str], dict[str, tuple[str, str]]]:
    if not SEED.exists():
        pytest.skip(f"seed not available at {SEED}")
    return parse_seed()


def apply_decisions(key: str, seed_answer: str) -> str:
    for seed_fragment, fixture_fragment in EDITORIAL_DECISIONS.get(key, []):
        count = seed_answer.count(seed_fragment)
        assert count == 1, (
            f"{key}: editorial decision expects {seed_fragment!r} once in the seed, found {count}"
        )
        seed_answer = seed_answer.replace(seed_fragment, fixture_fragment)
    return seed_answer


# --- shape -----------------------------------------------------------------------------------


def test_bank_header_is_complete():
    data = load_fixture()
    assert data["format"] == 1
    bank = data["bank"]
    assert bank["slug"] == "llm-zh"
    assert bank["title"] == "大模型（LLM）面试题"
    assert bank["language"] == "zh-hans"
    for field in ("description", "source"):
        assert isinstance(bank[field], str)
        assert bank[field].strip()


def test_sections_are_basics_then_advanced():
    sections = load_fixture()["sections"]
    assert [(s["key"], s["title"]) for s in sections] == [
        (key, title) for key, title, _heading, _count in SECTIONS
    ]


def test_it_has_14_basic_and_18_advanced_questions():
    questions = load_fixture()["questions"]
    assert len(questions) == 32
    for key, _title, _heading, count in SECTIONS:
        assert sum(q["section"] == key for q in questions) == count


def test_keys_are_unique_and_numbered_in_order_within_each_section():
    questions = load_fixture()["questions"]
    keys = [q["key"] for q in questions]
    assert len(set(keys)) == len(keys)
    assert keys == ALL_KEYS
    for q in questions:
        match = KEY_RE.match(q["key"])
        assert match, q["key"]
        assert match.group("section") == q["section"], q["key"]


def test_every_prompt_and_answer_is_non_empty_text():
    for q in load_fixture()["questions"]:
        for field in ("prompt", "answer"):
            assert isinstance(q[field], str), (q["key"], field)
            assert q[field].strip(), (q["key"], field)


def test_tags_come_from_the_vocabulary():
    for q in load_fixture()["questions"]:
        tags = q.get("tags", [])
        assert 1 <= len(tags) <= 3, q["key"]
        assert len(set(tags)) == len(tags), q["key"]
        assert set(tags) <= TAG_VOCABULARY, (q["key"], set(tags) - TAG_VOCABULARY)


def test_prompts_and_answers_use_full_width_punctuation():
    for q in load_fixture()["questions"]:
        for field in ("prompt", "answer"):
            found = sorted(set(q[field]) & set(HALF_WIDTH))
            assert not found, f"{q['key']} {field}: half-width {found}"


# --- faithfulness to the seed ----------------------------------------------------------------


def test_seed_parses_into_the_same_questions():
    _preamble, seed = seed_or_skip()
    assert list(seed) == [q["key"] for q in load_fixture()["questions"]]


def test_seed_preamble_became_the_bank_description_not_a_question():
    preamble, _seed = seed_or_skip()
    # Two lines about the autumn hiring season, then "部分内容如下:" ("an excerpt follows").
    assert len(preamble) == 3
    assert preamble[-1].startswith("部分内容如下")
    data = load_fixture()
    everything = "\n".join(q["prompt"] + q["answer"] for q in data["questions"])
    for line in preamble:
        assert normalise(line) not in normalise(everything)
    assert "大模型" in data["bank"]["description"]
    assert "面试" in data["bank"]["description"]


@pytest.mark.parametrize("key", ALL_KEYS)
def test_fixture_matches_seed(key):
    _preamble, seed = seed_or_skip()
    question = {q["key"]: q for q in load_fixture()["questions"]}[key]
    seed_prompt, seed_answer = seed[key]
    assert normalise(question["prompt"]) == normalise(seed_prompt)
    expected = normalise(apply_decisions(key, seed_answer))
    actual = normalise(question["answer"])
    assert actual == expected, (
        f"{key}: answer differs from the seed. If the change is deliberate, record it in "
        f"EDITORIAL_DECISIONS and in fixtures/README.md."
    )


def test_every_recorded_decision_is_visible_in_the_fixture_and_the_readme():
    seed_or_skip()
    questions = {q["key"]: q for q in load_fixture()["questions"]}
    readme = README.read_text(encoding="utf-8")
    for key, decisions in EDITORIAL_DECISIONS.items():
        assert key in questions, key
        assert key in readme, f"{key} is not documented in fixtures/README.md"
        for _seed_fragment, fixture_fragment in decisions:
            if fixture_fragment:
                assert fixture_fragment in questions[key]["answer"], (key, fixture_fragment)
