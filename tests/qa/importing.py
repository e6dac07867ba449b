"""What the import_bank tests share: the shipped bank, running the command, a small bank file,
and a snapshot of everything an import could change."""

from __future__ import annotations

import io
import json
from pathlib import Path

import yaml
from django.conf import settings
from django.core.management import call_command

from qa.models import Bank, Question, Section

SHIPPED = Path(settings.BASE_DIR) / "fixtures" / "banks" / "llm-zh.yaml"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_bank", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def snapshot() -> dict:
    """Everything an import could change."""
    history = Question.history.model
    return {
        "banks": list(Bank.objects.values_list("slug", "title", "description")),
        "sections": list(Section.objects.values_list("bank__slug", "key", "title", "position")),
        "questions": list(
            Question.objects.order_by("key").values_list(
                "key", "section__key", "number", "prompt", "answer", "status",
                "answer_version", "revision", "import_hash",
            )
        ),
        "tags": list(Question.tags.through.objects.order_by("pk").values_list(
            "question__key", "tag__name")),
        "history": history.objects.count(),
        "tag_history": history.tags.model.objects.count(),
    }


def small_bank(**changes) -> dict:
    data = {
        "format": 1,
        "bank": {"slug": "demo", "title": "Demo bank", "language": "en"},
        "sections": [{"key": "one", "title": "One"}, {"key": "two", "title": "Two"}],
        "questions": [
            {"key": "demo/one/01", "section": "one", "prompt": "What is attention?",
             "answer": "Weights over positions.", "tags": ["注意力"]},
            {"key": "demo/one/02", "section": "one", "prompt": "What is SFT?",
             "answer": "Supervised fine-tuning.", "tags": ["SFT", "微调"]},
            {"key": "demo/two/01", "section": "two", "prompt": "What is RLHF?",
             "answer": "- reward model\n- PPO\n"},
        ],
    }
    data.update(changes)
    return data


def write(tmp_path: Path, data, name: str = "demo.yaml") -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    elif name.endswith(".json"):
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return path
