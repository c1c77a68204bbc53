"""bench/prompts.py: the seeds' five example prompts each take one tool call, each answer under 4 KB.

Runs the script's own `run` (a fresh instance served by `minapi serve`, a week of traffic, the
SDK client over HTTP) and checks its targets and what each answer holds.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "prompts.py"


def load():
    spec = importlib.util.spec_from_file_location("bench_prompts", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_each_seed_prompt_takes_one_call_and_a_short_answer(capsys):
    prompts = load()
    seeded, answers = prompts.run(days=4, calls=16)
    print(prompts.report(seeded, answers))
    assert sum(d.calls for d in seeded.days) >= 250 and min(d.failures for d in seeded.days) >= 5
    assert [a.prompt for a in answers] == [
        "Show me my API endpoint list.",
        "Create an endpoint for customer inquiries with name, email, and message fields.",
        "Summarize the 5 failed calls from yesterday.",
        "How much have I used this month, through yesterday?",
        "Invite chris@example.com as a collaborator on the user-signup endpoint."]
    for answer in answers:
        assert len(answer.calls) == 1, answer
        assert max(answer.sizes) < prompts.MAX_ANSWER, answer
        assert answer.problems == [], answer
