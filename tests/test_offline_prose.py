"""The offline backend writes prose worth reviewing (temporal_app/offline.py): deterministic,
varied across topics, about the asked-for length, with headings, lists and long sentences;
revisions keep most of the previous text, answer the feedback and say so in a labelled note;
the long-piece outline parses with the project's parser; everything renders as clean Markdown.
No database, no Temporal: the writer is called directly and through OfflineBackend with the
real prompts, the way the drafting activities call it."""

from __future__ import annotations

import difflib
import itertools
import os
import re
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from drafts.markdown import render_markdown
from temporal_app import offline, prompts
from temporal_app.llm import OFFLINE_LABEL, OfflineBackend
from temporal_app.types import DraftBrief
from temporal_app.writing import section_count

TOPICS = ["Urban beekeeping", "Tides and the moon", "Kubernetes cost control",
          "Writing a grant proposal", "Composting", "Onboarding new engineers"]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _no_latency(settings):
    settings.OFFLINE_LLM_LATENCY = 0


def brief(topic="Urban beekeeping", words=600, **kw) -> DraftBrief:
    return DraftBrief(topic=topic, target_words=words, **kw)


def draft(b: DraftBrief) -> str:
    return OfflineBackend().complete(prompts.draft_prompt(b),
                                     {**asdict(b), "kind": "draft", "feedback": ""}).text


def revise(b: DraftBrief, previous: str, feedback: str) -> str:
    return OfflineBackend().complete(prompts.revise_prompt(b, previous, feedback),
                                     {**asdict(b), "kind": "draft", "feedback": feedback}).text


def write_long(b: DraftBrief, previous: str = "", feedback: str = "") -> tuple[str, list]:
    """Outline + sections assembled as temporal_app/writing.py and the activities do it."""
    backend, count = OfflineBackend(), section_count(b.target_words)
    outline = backend.complete(prompts.outline_prompt(b, count, previous, feedback),
                               {**asdict(b), "kind": "outline", "sections": count,
                                "feedback": feedback}).text
    title, intro, sections = prompts.parse_outline(outline, b.topic, limit=count + 2)
    headings = [h for h, _ in sections]
    words = max(100, b.target_words // len(sections))
    parts = [f"# {title}", "", intro, ""]
    for index, (heading, notes) in enumerate(sections):
        old = prompts.split_sections(previous).get(heading, "") if feedback else ""
        prompt = prompts.section_prompt(b, title=title, headings=headings, index=index,
                                        notes=notes, words=words, feedback=feedback,
                                        previous_section=old)
        parts += [backend.complete(prompt, {**asdict(b), "kind": "section", "heading": heading,
                                            "words": words, "feedback": feedback}).text.strip(),
                  ""]
    return "\n".join(parts).rstrip() + "\n", sections


def paragraphs(text: str) -> list[str]:
    """Prose paragraphs: not headings, quotes, lists or list lead-ins."""
    return [b.strip() for b in re.split(r"\n\s*\n", text)
            if b.strip() and not b.lstrip().startswith(("#", ">", "-", "1.", "**"))
            and not b.rstrip().endswith(":")]


def sentences(text: str, topic: str = "") -> list[str]:
    found = [s for p in paragraphs(text) for s in re.split(r"(?<=[.!?])\s+", p)]
    if topic:  # the same template about another topic counts as the same sentence
        found = [s.replace(topic, "T").replace(topic[0].lower() + topic[1:], "T") for s in found]
    return found


def overlap(a: str, b: str, topic_a: str = "", topic_b: str = "") -> float:
    sa, sb = set(sentences(a, topic_a)), set(sentences(b, topic_b))
    return len(sa & sb) / min(len(sa), len(sb))


# --- first versions --------------------------------------------------------------------------


def test_same_inputs_same_text_in_any_process():
    """Seeded from SHA-256 of the inputs, not hash() or the clock: another interpreter with
    another PYTHONHASHSEED writes the very same text."""
    meta = {"topic": "Tides and the moon", "brief": "Why two tides a day.", "audience": "Pupils",
            "tone": "friendly", "target_words": 600}
    text = offline.offline_markdown(meta)
    assert text == offline.offline_markdown(dict(meta))
    assert offline.offline_outline({**meta, "sections": 4}) == \
        offline.offline_outline({**meta, "sections": 4})
    code = ("import sys, json; from temporal_app import offline; "
            "sys.stdout.write(offline.offline_markdown(json.loads(sys.argv[1])))")
    import json
    for seed in ("1", "12345"):
        out = subprocess.run([sys.executable, "-c", code, json.dumps(meta)], cwd=ROOT,
                             env={**os.environ, "PYTHONHASHSEED": seed}, check=True,
                             capture_output=True, text=True).stdout
        assert out == text


def test_every_input_changes_the_text():
    base = {"topic": "Composting", "target_words": 600}
    text = offline.offline_markdown(base)
    for change in ({"brief": "Cover smells."}, {"audience": "Flat dwellers"},
                   {"tone": "casual"}, {"target_words": 900}):
        assert offline.offline_markdown({**base, **change}) != text, change


def test_topics_read_differently():
    texts = {t: draft(brief(t)) for t in TOPICS}
    shares = {(a, b): overlap(texts[a], texts[b], a, b)
              for a, b in itertools.combinations(TOPICS, 2)}
    assert max(shares.values()) < 0.7, shares
    assert sum(shares.values()) / len(shares) < 0.45, shares
    plans = {tuple(line for line in texts[t].splitlines() if line.startswith("## "))
             for t in TOPICS}
    assert len(plans) == len(TOPICS)  # each topic has its own headings, in its own order


@pytest.mark.parametrize("words", [300, 600, 1200])
def test_length_follows_the_target(words):
    for topic in TOPICS:
        count = len(draft(brief(topic, words)).split())
        assert 0.8 * words <= count <= 1.3 * words, (topic, count)


def test_a_draft_reads_like_an_explainer():
    text = draft(brief("Urban beekeeping", 600, brief="What a first season costs.",
                       audience="City dwellers"))
    lines = text.splitlines()
    assert lines[0] == "# Urban beekeeping" and lines[2] == OFFLINE_LABEL
    assert text.count("\n## ") >= 3
    assert re.search(r"^(- |1\. )", text, re.M), "a bulleted or numbered list"
    assert len(paragraphs(text)) >= 5
    lengths = [len(s.split()) for s in sentences(text)]
    assert max(lengths) >= 25 and min(lengths) <= 12  # some long sentences, some short
    assert "city dwellers" in text and "What a first season costs." in text
    assert "would go here" not in text and "{" not in text and "[" not in text


def test_tone_changes_the_voice():
    casual = offline.offline_markdown({"topic": "Composting", "tone": "friendly, casual"})
    formal = offline.offline_markdown({"topic": "Composting", "tone": "formal"})
    assert re.search(r"\b(it's|don't|you'll|isn't)\b", casual)
    assert not re.search(r"\b(it's|don't|you'll|isn't)\b", formal.replace(OFFLINE_LABEL, ""))


# --- revisions -------------------------------------------------------------------------------


def test_a_revision_keeps_most_of_the_text_and_says_what_changed():
    b = brief("Urban beekeeping", 600)
    first = draft(b)
    second = revise(b, first, "Add a section on hive placement")
    lines = second.splitlines()
    assert lines[0] == "# Urban beekeeping" and lines[2] == OFFLINE_LABEL
    assert lines[4].startswith("> **Revised for the editor's feedback** (revision 1): "
                               "Add a section on hive placement")
    assert "## Hive placement" in second and "hive placement" in second
    assert second != first and 0.6 <= overlap(first, second) < 1
    assert difflib.SequenceMatcher(None, first, second).ratio() > 0.6
    assert revise(b, first, "Add a section on hive placement") == second  # deterministic

    third = revise(b, second, "Add a section on hive placement")
    assert "(revision 2)" in third and "(revision 1)" not in third
    assert third != second and 0.6 <= overlap(second, third) < 1
    assert third.count("## Hive placement") == 1  # the section is there already: revised


@pytest.mark.parametrize("feedback, check", [
    ("Make it shorter, please.", lambda old, new: len(new.split()) < len(old.split())),
    ("Expand it with more detail.", lambda old, new: len(new.split()) > len(old.split()) + 30),
    ("It needs a concrete example.", lambda old, new: new.count("example") > old.count("example")),
    ("Add bullet points so it can be skimmed.", lambda old, new: "**In brief:**" in new),
    ("Too dense; use simpler sentences.", lambda old, new: new.count(";") < old.count(";")),
])
def test_a_revision_answers_the_feedback(feedback, check):
    b = brief("Composting", 600, tone="formal")
    first = draft(b)
    second = revise(b, first, feedback)
    assert check(first, second), second
    assert second != first and overlap(first, second) >= 0.5


def test_a_revision_without_the_previous_text_regenerates_it():
    meta = {"topic": "Composting", "target_words": 600, "feedback": "Make it shorter."}
    first = offline.offline_markdown({**meta, "feedback": ""})
    assert offline.offline_markdown(meta) == \
        offline.offline_markdown({**meta, "previous_text": first})


def test_a_revision_of_someone_elses_text_keeps_it():
    """An editor's edit (or a model's draft) revised offline: its text stays, labelled."""
    edited = ("# Bees\n\nBees need water nearby. They also need shelter from wind, and a "
              "keeper who checks on them weekly.\n\n## Kit\n\nA veil, a smoker and a hive tool "
              "are enough to start. Most of the rest can wait until the second season.\n")
    text = revise(brief("Bees"), edited, "Expand on the kit")
    assert text.startswith("# Bees\n\n" + OFFLINE_LABEL) and "(revision 1)" in text
    assert "Bees need water nearby." in text and "A veil, a smoker and a hive tool" in text
    assert len(text.split()) > len(edited.split())


# --- long pieces: outline + sections ---------------------------------------------------------


def test_long_piece_outline_parses_and_sections_are_prose():
    b = brief("Tides and the moon", 1400, brief="Why two tides a day.")
    count = section_count(b.target_words)
    outline = offline.offline_outline({**asdict(b), "sections": count})
    title, intro, sections = prompts.parse_outline(outline, "fallback", limit=count + 2)
    assert title == "Tides and the moon" and intro.startswith(OFFLINE_LABEL)
    assert len(sections) == count and all(h and notes for h, notes in sections)
    assert len({h for h, _ in sections}) == count

    text, _ = write_long(b)
    assert text.startswith("# Tides and the moon\n\n" + OFFLINE_LABEL)
    assert text.count("\n## ") == count
    assert 0.8 * 1400 <= len(text.split()) <= 1.3 * 1400
    for heading, _ in sections:
        body = prompts.split_sections(text)[heading]
        assert len(paragraphs(body)) >= 2, heading
    assert len(set(sentences(text))) == len(sentences(text))  # no sentence said twice


def test_long_piece_revision():
    b = brief("Tides and the moon", 1400)
    first, sections = write_long(b)
    second, new_sections = write_long(b, first, "Add a section on spring tides")
    assert "> **Revised for the editor's feedback** (revision 1): Add a section on spring " \
           "tides" in second
    assert [h for h, _ in new_sections] == \
        [h for h, _ in sections[:-1]] + ["Spring tides", sections[-1][0]]
    old, new = prompts.split_sections(first), prompts.split_sections(second)
    for heading, _ in sections:  # each section revised, most of it kept
        assert new[heading] != old[heading] and overlap(old[heading], new[heading]) >= 0.5
    assert len(paragraphs(new["Spring tides"])) >= 2
    third, _ = write_long(b, second, "Add a section on spring tides")
    assert "(revision 2)" in third and third != second and third.count("## Spring tides") == 1


# --- Markdown --------------------------------------------------------------------------------


def test_everything_renders_as_clean_markdown():
    b = brief("Urban beekeeping", 600)
    first = draft(b)
    texts = [first, revise(b, first, "Add a section on <script>alert(1)</script> & more"),
             write_long(brief("Tides and the moon", 1400))[0]]
    for text in texts:
        html = str(render_markdown(text))
        assert "<blockquote>" in html and "<h3>" in html and re.search(r"<[ou]l>", html)
        assert "<script" not in html and "&lt;p&gt;" not in html
        assert html.count("<p>") >= 5 and "**" not in html and "##" not in html
