"""The offline writer: readable, deterministic drafts when no language model is configured.

Not a model: a small phrase bank of explainer "angles" (why it matters, getting started,
common mistakes …), each with heading variants, sentences with slots for the topic and the
audience, and sometimes a list. A draft picks and orders angles and sentences with a PRNG
seeded from a SHA-256 of its inputs (never hash(), never the clock), so the same brief always
gives the same text and different topics read differently. A casual tone uses contractions.

A revision keeps the previous text (read from the revise prompt; regenerated from the same
seed when absent), answers the feedback where it can (a new section for "add a section on
X", shorter, longer, simpler, an example, a list) and rewrites a few passages, under a note
that says what changed. Long pieces: `offline_outline` writes the format
`prompts.parse_outline` reads, `offline_section` one `## ` section of about meta["words"].

Django-free and stdlib-only; `temporal_app.llm.OfflineBackend` calls it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

OFFLINE_LABEL = ("> *Offline draft: written by Redline's built-in template, not by a language "
                 "model. Set OPENAI_API_KEY (or OPENAI_BASE_URL) for real drafts.*")
NOTE = "> **Revised for the editor's feedback**"
_NOTE_NUMBER = re.compile(re.escape(NOTE) + r" \(revision (\d+)\)")


class _Rng:
    """xorshift64 seeded from SHA-256 of the parts: the same on every Python, every run."""

    def __init__(self, *parts: object) -> None:
        digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
        self.state = int.from_bytes(digest[:8], "big") or 1

    def below(self, n: int) -> int:
        x = self.state
        x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 7
        x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
        self.state = x
        return x % n

    def choice(self, items):
        return items[self.below(len(items))]

    def shuffled(self, items) -> list:
        out = list(items)
        for i in range(len(out) - 1, 0, -1):
            j = self.below(i + 1)
            out[i], out[j] = out[j], out[i]
        return out


@dataclass(frozen=True)
class Angle:
    headings: tuple[str, ...]
    covers: str
    beats: tuple[str, ...]
    ordered: bool = False  # beats tell a sequence: keep their order, cut from the end
    list_kind: str = ""  # "ul" or "ol"
    lead: str = ""
    items: tuple[str, ...] = ()
    more: tuple[str, ...] = ()  # an example a revision adds, then sentences for long sections


# Slots: {topic} {Topic} {audience} {Audience}; [a|b] picks one. No "## " inside a beat.
ANGLES = (
    Angle(("Why it is worth the effort", "Why bother with {topic}", "What is at stake"),
          "Why {topic} deserves attention, and what it changes for {audience}.", (
        "[Most people|Many of us] run into {topic} long before they have a name for it, usually at "
        "the moment something that used to work quietly stops working.",
        "For {audience}, the case for paying attention is practical rather than theoretical: "
        "[small decisions made early|early choices, even small ones,] tend to compound, for better "
        "or worse.",
        "It is tempting to treat {topic} as a side issue, something to sort out once the urgent "
        "work is done, but that order of priorities rarely survives [a busy month|a real "
        "deadline|the first serious setback].",
        "The benefits are [seldom|rarely] dramatic on any [single|given] day; what they add up to "
        "over a year is the difference between a routine that holds and one that has to be rebuilt "
        "every few months.",
        "None of this requires [special|rare] talent or a [large|big] budget. It requires knowing "
        "which few things deserve care and which can safely be left alone.",
        "The people who get the most out of {topic} are rarely the ones who know the most about "
        "it; they are the ones who decided early what they wanted from it and kept checking "
        "whether they were getting it.",
        "There is also a cost to doing nothing, and it is easy to underestimate because it arrives "
        "slowly.",
        "Problems that would take an afternoon to fix in the first week can take a [month|whole "
        "season] to untangle once other decisions have been built on top of them.",
        "Seen that way, time spent on {topic} is less an expense than an insurance policy, and a "
        "cheap one.",
        "The [good|encouraging] news is that the first improvements are usually the easiest, "
        "because nobody has made them yet."), more=(
        "For example, someone who spends an hour a month on {topic} rarely faces the kind of "
        "backlog that eats a whole weekend, while someone who leaves it for a year usually spends "
        "that weekend fixing last year's problems.",
        "Put simply, attention paid early is cheaper than attention paid late.",
        "It is rarely the big, visible decisions that cause trouble later; it is the small ones "
        "nobody thought worth discussing.")),
    Angle(("The basics", "The core ideas", "What is actually involved"),
          "The few ideas everything else rests on, in plain words.", (
        "[Stripped of jargon|Without the jargon|Reduced to essentials], {topic} comes down to a "
        "handful of ideas that would fit on an index card.",
        "The first is that context matters more than rules: what works well in one setting can be "
        "exactly wrong in another, so the useful question is always what problem you are trying to "
        "solve.",
        "The second is that [evidence|feedback] beats intuition. Even experienced practitioners "
        "are regularly surprised by what actually happens, which is why they build in ways to "
        "notice early when something is off.",
        "The third is that simple approaches done consistently outperform clever ones done "
        "occasionally.",
        "Terminology can make {topic} look more complicated than it is. Most of the specialist "
        "words describe ordinary things, and it is worth translating each one into plain language "
        "the first time you meet it.",
        "It also helps to separate the parts you control from the parts you do not; time and "
        "attention are better spent on the first, while the second is something to plan around "
        "rather than fight.",
        "[None of these ideas is new|There is nothing exotic in any of this], but together they "
        "explain most of what separates a good result from a frustrating one.",
        "A fourth idea, often overlooked, is that [most|nearly all] problems are easier to prevent "
        "than to repair, which is why a little routine attention beats heroic rescues.",
        "It is worth returning to these ideas whenever things get confusing, because most "
        "confusion comes from losing sight of one of them.",
        "Once they are clear, the rest of {topic} becomes a matter of detail rather than "
        "mystery."), ordered=True, list_kind="ul", lead="In short:", items=(
        "**Context first**: decide what problem you are solving before choosing how.",
        "**Evidence over instinct**: check what actually happens, not what should happen.",
        "**Consistency over cleverness**: a plain routine kept up beats a brilliant one abandoned.",
        "**Control what you can**: plan around the rest."), more=(
        "For example, a habit that works well for a large organisation, such as reviewing every "
        "decision in a weekly meeting, can smother a group of three, for whom a quick conversation "
        "does the same job.",
        "Each of these ideas is simple to state and takes practice to apply.",
        "When something goes wrong, it is usually because one of them was quietly forgotten.")),
    Angle(("Getting started", "Where to begin", "Getting started with {topic}"),
          "A short, practical sequence for a first attempt.", (
        "The hardest part of {topic} is [usually|often] the beginning, not because the first steps "
        "are difficult but because there are so many of them to choose from.",
        "A [good|sensible] first attempt is deliberately [small|modest]. It should be finished in "
        "days rather than months, and it should teach you something whether or not it goes well.",
        "Write down what you expect to happen before you start; the gap between that note and what "
        "actually happens is the most useful thing you will learn.",
        "Resist the urge to buy tools or read every guide first, since most of what matters only "
        "becomes clear once you have tried something real.",
        "If you are working with others, agree in advance who decides what, because unclear "
        "ownership stalls more first attempts than any technical problem.",
        "After the first round, [pause|stop] and look back honestly before adding anything new. "
        "The temptation is to scale up whatever worked, but it is usually wiser to repeat it once "
        "more and confirm it was not luck.",
        "Expect the first attempt to take longer than planned. That is not a sign of failure; it "
        "is what first attempts are like, and building in slack keeps a delay from turning into a "
        "crisis.",
        "When the first round is done, share what you learned, even informally. Other people's "
        "questions about it will show you what you have not yet understood.",
        "Keep notes as you go, however rough. Six weeks later they will answer questions that "
        "memory cannot."), ordered=True, list_kind="ol",
          lead="A sequence that works for most {audience}:", items=(
        "Pick one narrow goal and write it down in a single sentence.",
        "Find out what is already in place, and what has been tried before.",
        "Try the smallest version that could possibly work.",
        "Look at the result honestly, ideally with someone who was not involved.",
        "Keep what worked, drop what did not, and only then widen the scope."), more=(
        "For example, rather than setting out to master {topic} in a month, set out to do one "
        "small piece of it properly by Friday, and note what surprised you.",
        "A modest first goal that is actually reached teaches more than an ambitious one abandoned "
        "halfway.",
        "It also helps to decide in advance what finished looks like, so that the first attempt "
        "has a clear end.")),
    Angle(("Common mistakes", "Where people go wrong", "Pitfalls to avoid"),
          "The errors that catch most people, and how to avoid them.", (
        "Most mistakes with {topic} are [not exotic|surprisingly ordinary]. They are the same few "
        "errors, made by [capable|well-meaning|experienced] people in a hurry.",
        "The most common is trying to fix everything at once, which makes it impossible to tell "
        "afterwards which change made the difference.",
        "A close second is copying what someone else did without asking whether their situation "
        "resembles yours.",
        "Another is measuring what is easy to count instead of what matters, and then optimising "
        "the number rather than the result.",
        "Many people also give up just before the effort starts to pay off, because the early "
        "weeks are the ones where the cost is visible and the benefit is not.",
        "None of these mistakes is fatal on its own. The danger is that they hide each other, so a "
        "setback gets blamed on the wrong cause and the real one goes unaddressed.",
        "A quieter mistake is never writing anything down, so that each lesson has to be learned "
        "again by the next person, or by the same person a year later.",
        "There is also the mistake of treating early success as proof. A good first result is "
        "encouraging, but it becomes evidence only when it can be repeated.",
        "The cheapest protection is a short, honest review after each attempt: what did we expect, "
        "what happened, and what will we do differently next time?",
        "It also pays to ask someone outside the work to look at it, because they will see in "
        "minutes what insiders have stopped noticing."), ordered=True, list_kind="ul",
          lead="Warning signs worth watching for:", items=(
        "Decisions that nobody remembers making.",
        "Numbers that improve while the people involved say things feel worse.",
        "A plan that has not changed in months despite new information.",
        "Advice taken from a very different setting and applied unchanged.",
        "Enthusiasm at the start and silence by week three."), more=(
        "For example, someone who changes three things at once and sees an improvement cannot say "
        "which change helped, and will probably keep all three, including the one that made things "
        "worse.",
        "Most of these errors come from impatience rather than ignorance.",
        "Naming them in advance makes them much easier to spot when they happen.")),
    Angle(("The trade-offs", "Costs and benefits", "What you give up"),
          "What each choice costs, and how to weigh it.", (
        "[Every|Any] approach to {topic} gives something up, and pretending otherwise is the "
        "[fastest|surest] route to disappointment.",
        "Speed usually costs thoroughness, thoroughness costs time, and the right balance depends "
        "on how expensive a mistake would be.",
        "Where errors are cheap and easy to reverse, it makes sense to move quickly and learn from "
        "them; where they are costly or permanent, slowing down is not timidity but judgement.",
        "There is also a trade-off between flexibility and simplicity. A setup that can handle "
        "every case is harder to understand, and what nobody understands tends to be maintained "
        "badly.",
        "For {audience}, a useful habit is to name the trade-off out loud before deciding: we are "
        "choosing this, and we are accepting that. It sounds formal, but it prevents the familiar "
        "situation where a choice is later criticised for costs that everyone accepted at the "
        "time.",
        "Trade-offs also shift. What was sensible at the start may stop being sensible as "
        "circumstances change, so it is worth revisiting the big choices [every few months|once or "
        "twice a year].",
        "It is also worth remembering that not deciding is itself a choice, usually the most "
        "expensive one, because it keeps every cost and delivers none of the benefits.",
        "When two options look equally good, pick the one that is easier to undo. Reversibility is "
        "underrated, and it buys time to learn which option was actually better.",
        "The goal is not to avoid costs altogether, which is impossible, but to pay the ones you "
        "chose rather than the ones you drifted into."), more=(
        "For example, a quick, rough first version gets feedback within days but may need rework; "
        "a careful one avoids the rework but arrives weeks later, when the question may have moved "
        "on.",
        "There is rarely a free option, only options whose costs are more or less visible.",
        "Writing the costs down, even briefly, makes a decision far easier to explain later.")),
    Angle(("A worked example", "What it looks like in practice", "An example"),
          "One realistic scenario, from a first attempt to a second.", (
        "Consider a small group of {audience} taking on {topic} for the first time.",
        "They begin with plenty of enthusiasm and a long list of ideas, and within a fortnight "
        "they have started five things and finished none.",
        "The turning point comes when someone suggests choosing just one of those ideas and seeing "
        "it through, even though it is not the most exciting one.",
        "It takes longer than expected, as first attempts always do, and two of their assumptions "
        "turn out to be wrong.",
        "But by the end they have something that works, a clear sense of what to try next and, "
        "just as important, a shared account of why the earlier attempts stalled.",
        "Their second project goes noticeably faster, not because they have become experts, but "
        "because they now know which questions to ask first.",
        "Looking back, the group agreed that the most valuable thing they produced in those first "
        "weeks was not the result itself but a short list of what they would do differently.",
        "That list became the starting point for everything that followed, and it cost nothing but "
        "an honest hour at the end of the project.",
        "Nothing in this story is unusual, and that is the point: progress with {topic} tends to "
        "look like this, uneven at first and steadier once a few habits take hold.",
        "If your own first attempt feels messy, that is not a sign you are doing it wrong."),
          ordered=True, more=(
        "A second group, starting at the same time but trying to plan everything up front, is "
        "still planning when the first one finishes.",
        "The details differ from one group to the next, but the shape of the story is remarkably "
        "constant.",
        "What changed was not their skill but their focus.",)),
    Angle(("How to tell it is working", "Measuring progress", "Signs of progress"),
          "What to look at, and how often, to know whether it is paying off.", (
        "It is surprisingly easy to spend months on {topic} without knowing whether any of it is "
        "helping.",
        "The fix is not an elaborate dashboard but two or three honest signals, checked at a "
        "regular interval.",
        "Good signals sit close to the outcome you care about, are hard to game, and are cheap "
        "enough to collect that you will keep collecting them. Bad signals are the opposite: "
        "convenient, easily nudged, and only loosely connected to anything that matters.",
        "Checking too often is its own problem, because ordinary noise starts to look like a trend "
        "and people react to changes that are not really there.",
        "For most {audience}, once a month is often enough to see the direction without chasing "
        "every wobble.",
        "Write the signals down at the start, before results come in, so that nobody is tempted to "
        "pick the flattering ones afterwards.",
        "It also helps to record a baseline before changing anything. Without one, even a genuine "
        "improvement is hard to see, and a lucky week can look like a breakthrough.",
        "Share the signals with the people doing the work, too. Measures kept in a drawer tend to "
        "drift away from reality, while measures people see every week get corrected.",
        "And when a signal and people's experience disagree, take the disagreement seriously, "
        "because usually one of them is measuring the wrong thing."), ordered=True, list_kind="ul",
          lead="Questions that make useful signals:", items=(
        "What would be different in a month if this were working?",
        "Who would notice first, and how would they tell us?",
        "What would we see if it were quietly failing?",
        "Which of these can we check without extra work?"), more=(
        "For example, counting the hours spent on {topic} is easy but says little, while asking "
        "once a month whether the same problem came up again says a great deal more.",
        "A signal nobody looks at is worse than none, because it creates the impression that "
        "someone is watching.",
        "Fewer, better measures almost always beat a long list.")),
    Angle(("Questions worth asking", "Questions to settle first", "Before you decide"),
          "The questions that save time when they are asked early.", (
        "[Much|A good part] of the work in {topic} is asking the right questions before committing "
        "to answers.",
        "The most useful ones are rarely technical. They are about purpose, ownership and limits: "
        "why are we doing this, who is responsible, and how will we know when to stop?",
        "It helps to ask them in writing, because written answers are harder to leave vague.",
        "[Expect|Be ready for] some of the answers to be uncomfortable. A question that nobody can "
        "answer is not a failure of the process; it is the process working, surfacing a gap while "
        "it is still cheap to close.",
        "Revisit the list when circumstances change, since an answer that was true at the start "
        "may not be true six months later.",
        "Some questions deserve a second round. The first answer to why you are doing something is "
        "usually the official one; the second, asked a week later, is often closer to the truth.",
        "It is also fair to ask what would happen if you did nothing at all. Sometimes the honest "
        "answer is not much, and that is worth knowing before any effort is spent.",
        "And when the answers change, say so openly, because a plan that quietly drifts away from "
        "its own answers is harder to steer than one revised in plain sight.",
        "The questions are far cheaper than the surprises they prevent."), ordered=True,
          list_kind="ul",
          lead="A short list to start from:", items=(
        "What problem are we solving, in one sentence?",
        "Who is affected, and have we asked them?",
        "What is the smallest version worth doing?",
        "What would make us change course?",
        "Who decides when it is finished?"), more=(
        "For example, asking who decides when something is finished can settle in five minutes an "
        "argument that would otherwise surface, far more expensively, at the very end.",
        "Good questions are short, specific and a little uncomfortable.",
        "Writing the answers down turns a conversation into a reference that can be checked "
        "later.")),
    Angle(("Myths and misconceptions", "Common misunderstandings", "What the myths get wrong"),
          "The popular ideas that mislead, and what is true instead.", (
        "Because {topic} gets talked about so much, it has collected [a fair number of|more than "
        "its share of] myths.",
        "One is that it is only for specialists. In reality the basics are within reach of anyone "
        "willing to be patient and a little systematic.",
        "Another is that it needs expensive tools; tools help at scale, but at the start a "
        "notebook and a bit of discipline do most of the work.",
        "A third, more subtle, is that there is one correct way to do it. There are better and "
        "worse ways, certainly, but the best one depends on circumstances that differ from one "
        "situation to the next, and anyone who claims otherwise is usually selling something.",
        "The most damaging myth may be that results should come quickly. Early progress is often "
        "invisible, and people who expect fast returns tend to abandon a sound approach just "
        "before it starts to work.",
        "Another persistent myth is that experts never make the basic mistakes. They do, "
        "regularly; what distinguishes them is that they notice sooner and correct course without "
        "embarrassment.",
        "Then there is the idea that once {topic} is sorted out, it stays sorted. In practice it "
        "needs a little ongoing attention, the way a garden does, and planning for that from the "
        "start avoids disappointment later.",
        "Letting go of these ideas does not make {topic} easy, but it does make it honest: you "
        "know what you are taking on, and why."), ordered=True, more=(
        "For example, people who believe they need the best equipment before starting often spend "
        "months comparing options, while those who start with what they have learn within weeks "
        "what they actually need.",
        "Myths survive because each contains a grain of truth.",
        "The useful response is not to dismiss them but to ask when, if ever, they hold.")),
)
CLOSING = Angle(("Next steps", "Where to go from here", "In short"),
                "A short summary and one thing to do next.", (
    "None of this needs to happen [at once|all at once|overnight].",
    "If you take only one thing from this piece, let it be that {topic} rewards steady, modest "
    "effort far more than occasional bursts of enthusiasm.",
    "Start small, write down what you expect, and look [honestly|carefully] at what happens.",
    "The details will vary with your situation, as they should; the habits underneath them travel "
    "well.",
    "For {audience}, the best next step is usually the most ordinary one: pick a single thing to "
    "improve this week, and do it properly.",
    "[Come back to|Return to] the harder questions once you have a little experience to test them "
    "against."), more=(
        "For example, choose one idea from this piece, try it for a month, and then decide whether "
        "it earned its place.",
        "Progress here is mostly a matter of returning to the same few habits.",
        "Nothing above needs special permission or resources to try."))
SIGN_OFF = {"casual": "Good luck, and enjoy it: most people find it more interesting than they "
                      "expected.",
            "formal": "The principles above should provide a sound basis for that work.",
            "neutral": "The rest is practice."}
INTROS = (
    "Few subjects look as simple from a distance as {topic}, or turn out to be as interesting up "
    "close. This piece is written for {audience} who want a clear, practical picture without "
    "wading through the specialist literature.",
    "Ask ten people about {topic} and you will get ten different answers, most of them partly "
    "right. What follows tries to bring the useful parts together for {audience}, with the "
    "emphasis on what to actually do.",
    "There is no shortage of advice about {topic}, but much of it assumes you already know the "
    "basics. This piece starts a step earlier, for {audience}, and keeps its focus on the "
    "decisions that matter most.",
    "Anyone who has spent time around {topic} knows that the hard part is rarely the theory. It is "
    "knowing where to start, what to ignore, and how to tell whether the effort is paying off.",
    "This is a practical introduction to {topic} for {audience}: what it involves, where people "
    "tend to go wrong, and how to make a sensible start.")
BRIEFS = ("The brief for it was specific: {brief}", "In the words of its brief: {brief}",
          "It was written to a short brief, and tries to stay close to it: {brief}")
ROADMAPS = ("The sections below cover {plan}.", "Along the way it looks at {plan}.",
            "It moves through {plan}, in that order.")
# Revisions: fresh sentences for rewritten passages, and prose for a section the editor asked for.
REWRITES = (
    "Put more plainly, the details matter less than the habit of checking them.",
    "In practice, this is where most of the real work happens, and it is worth slowing down here.",
    "That point is easy to agree with and surprisingly hard to act on, which is why it bears "
    "repeating.",
    "A concrete way to apply it is to take one recent decision and ask how it would have gone with "
    "this in mind.",
    "The underlying reason is simple: small, visible improvements build the confidence needed for "
    "larger ones.",
    "This is also where {audience} tend to have the most room to make a difference quickly.",
    "It is worth saying this outright rather than leaving it implied, because implied expectations "
    "are the first to be forgotten.",
    "Said differently, the aim is not perfection but a result that is good enough to learn from.",
    "Here, a short conversation early on usually saves a long one later.",
    "The same idea applies well beyond {topic}, which is one more reason to get comfortable with "
    "it.",
    "Anyone who has tried this knows the difference between understanding it and doing it, and it "
    "is the doing that counts.",
    "It helps to test this against a real case rather than an imagined one, since real cases have "
    "a way of exposing assumptions.")
EXAMPLES = (
    "For example, imagine {audience} with a month to make progress on {topic}: the ones who pick a "
    "single, modest goal in the first week usually have something to show by the end, while the "
    "ones who plan everything up front are often still planning.",
    "To take a concrete case, a team that reviews one small change every Friday will, within a "
    "quarter, have a dozen lessons on record, which is far more than a team that waits for a big "
    "annual review.",
    "A simple illustration: before trying something, write down what you expect to see, then "
    "compare the note with the result a week later. The gap is usually the most instructive thing "
    "on the page.")
FOCUS = (
    "{Focus} is where a lot of the practical questions about {topic} end up, even when they start "
    "somewhere else.",
    "It is worth treating {focus} as a decision in its own right rather than a detail to settle "
    "later, because it shapes much of what follows.",
    "The right answer depends on circumstances, but the questions are fairly constant: what you "
    "are trying to achieve, which constraints you cannot change, and what you would do if your "
    "first choice turned out to be wrong.",
    "For {audience}, a sensible approach is to put two or three options side by side, write down "
    "what each would cost and what it would make easier, and pick the one whose downsides you can "
    "live with.",
    "Getting {focus} roughly right early saves a good deal of rework; getting it perfect is rarely "
    "necessary, and trying to can delay everything else.",
    "If in doubt, ask someone who has been through it recently. Their memory of what surprised "
    "them is worth more than any general rule.",
    "It is also one of the areas where it pays to revisit the decision after a few months, once "
    "real experience has replaced assumptions.")

OPENERS = (("In practice, ", "More often than not, ", "As a rule, ", "On the whole, ",
            "Broadly speaking, ", "In most cases, "),
           ("Where you can, ", "If possible, ", "As a habit, ", "From the start, "))
OPENABLE = ("It", "Most", "For", "There", "None", "Many", "Every", "Any", "Good", "Checking",
            "Problems", "Terminology", "Speed", "Where", "Much", "Because")
IMPERATIVES = ("Write", "Keep", "Resist", "Start", "Pick")
_CASUAL = ("friendly", "casual", "conversational", "playful", "warm", "informal", "relaxed",
           "chatty", "light")
_FORMAL = ("formal", "academic", "technical", "professional", "authoritative", "scholarly")
_CONTRACTIONS = (("is not", "isn't"), ("are not", "aren't"), ("does not", "doesn't"),
                 ("do not", "don't"), ("cannot", "can't"), ("will not", "won't"),
                 ("It is", "It's"), ("it is", "it's"), ("that is", "that's"),
                 ("There is", "There's"), ("there is", "there's"), ("you are", "you're"),
                 ("they are", "they're"), ("you will", "you'll"))
_ALTERNATIVES = re.compile(r"\[([^\[\]]*\|[^\[\]]*)\]")
_SLOT = re.compile(r"\{(\w+)\}")
_KEEP = tuple(t.split("{")[0] for t in BRIEFS + ROADMAPS)  # a revision keeps these sentences
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


# --- the writer's context --------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def _mid_sentence(phrase: str) -> str:
    """'Urban beekeeping' -> 'urban beekeeping' inside a sentence; names, acronyms stay."""
    words = phrase.split()
    if words and words[0][1:].islower() and all(w[:1].islower() for w in words[1:]) and \
            (len(words) > 1 or words[0].endswith("ing")):  # 'Composting' too, not 'Kubernetes'
        return phrase[0].lower() + phrase[1:]
    return phrase


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _inputs(meta: dict) -> tuple:
    return (_one_line(meta["topic"]), _one_line(meta.get("brief", "")),
            _one_line(meta.get("audience", "")), _one_line(meta.get("tone", "")))


def _context(meta: dict) -> dict:
    topic, _, audience, tone = _inputs(meta)
    audience = _mid_sentence(audience) if audience else "newcomers"
    tone = tone.lower()
    voice = ("casual" if any(w in tone for w in _CASUAL)
             else "formal" if any(w in tone for w in _FORMAL) else "neutral")
    return {"topic": _mid_sentence(topic), "Topic": _upper_first(topic), "audience": audience,
            "Audience": _upper_first(audience), "voice": voice}


def _fill(template: str, ctx: dict, rng: _Rng, **extra: str) -> str:
    text = _ALTERNATIVES.sub(lambda m: rng.choice(m.group(1).split("|")), template)
    if ctx["voice"] == "casual":
        for full, short in _CONTRACTIONS:
            text = re.sub(rf"(?<!of )\b{full}(?= \w)", short, text)
    slots = {**ctx, **extra}
    return _SLOT.sub(lambda m: slots.get(m.group(1), m.group(0)), text)


def _opened(sentence: str, rng: _Rng) -> str:
    """Now and then an opening phrase, so one template starts differently from draft to draft."""
    first = sentence.split(" ", 1)[0]
    pool = OPENERS[1] if first in IMPERATIVES else OPENERS[0] if first in OPENABLE else ()
    if not pool or rng.below(10) >= 3:
        return sentence
    return rng.choice(pool) + sentence[0].lower() + sentence[1:]


def _words(text: str) -> int:
    return len(text.split())


def _heading(angle: Angle, index: int, ctx: dict) -> str:
    return _upper_first(_fill(angle.headings[index], ctx, _Rng()))


def _find_angle(heading: str, ctx: dict) -> Angle | None:
    for angle in (*ANGLES, CLOSING):
        if any(_heading(angle, i, ctx) == heading for i in range(len(angle.headings))):
            return angle
    return None


# --- first versions --------------------------------------------------------------------------


def _list_block(angle: Angle, ctx: dict, rng: _Rng) -> list[str]:
    marker = (lambda i: f"{i}.") if angle.list_kind == "ol" else (lambda i: "-")
    items = angle.items if angle.list_kind == "ol" else rng.shuffled(angle.items)
    return [_fill(angle.lead, ctx, rng),
            "\n".join(f"{marker(i)} {_fill(item, ctx, rng)}" for i, item in enumerate(items, 1))]


def _body(angle: Angle, ctx: dict, rng: _Rng, budget: int, with_list: bool) -> list[str]:
    """Paragraphs of 2-4 sentences (and the angle's list) until about `budget` words."""
    beats = [*(angle.beats if angle.ordered else rng.shuffled(angle.beats)), *angle.more[1:]]
    listed = _list_block(angle, ctx, rng) if with_list and angle.items else []
    budget -= sum(map(_words, listed))
    paragraphs: list[list[str]] = [[]]
    size, used = 2 + rng.below(3), 0
    for beat in beats:
        sentence = _opened(_fill(beat, ctx, rng), rng)
        if used >= 40 and used + _words(sentence) // 2 > budget:
            break
        if len(paragraphs[-1]) >= size:
            paragraphs.append([])
            size = 2 + rng.below(3)
        paragraphs[-1].append(sentence)
        used += _words(sentence)
    if len(paragraphs) > 1 and len(paragraphs[-1]) == 1:  # no one-sentence paragraph at the end
        last = paragraphs.pop()
        paragraphs[-1] += last
    out = [" ".join(p) for p in paragraphs]
    out[1:1] = listed  # the list after the first paragraph
    return out


def _closing(ctx: dict, rng: _Rng, budget: int) -> list[str]:
    paragraphs = _body(CLOSING, ctx, rng, budget, with_list=False)
    paragraphs[-1] += " " + SIGN_OFF[ctx["voice"]]
    return paragraphs


def _plan(meta: dict, count: int, rng: _Rng) -> list[tuple[Angle, str]]:
    """`count` sections (the last one closing), one of them with a list."""
    ctx = _context(meta)
    angles = rng.shuffled(ANGLES)[:max(1, count - 1)]
    if not any(a.items for a in angles):
        angles[rng.below(len(angles))] = rng.choice([a for a in ANGLES if a.items])
    angles.append(CLOSING)
    return [(a, _heading(a, rng.below(len(a.headings)), ctx)) for a in angles]


def _intro(meta: dict, ctx: dict, rng: _Rng, headings: list[str]) -> str:
    parts = [_fill(rng.choice(INTROS), ctx, rng)]
    brief = _inputs(meta)[1]
    if brief:
        brief = brief if brief[-1] in ".!?" else brief + "."
        parts.append(rng.choice(BRIEFS).replace("{brief}", _upper_first(brief)))
    if len(headings) >= 3:  # the body sections' headings: the bank's, never a name
        plan = _and([h[0].lower() + h[1:] for h in headings[:-1]])
        parts.append(rng.choice(ROADMAPS).replace("{plan}", plan))
    return " ".join(parts)


def _seed(meta: dict, *more: object) -> _Rng:
    return _Rng(*_inputs(meta), *more)


def _first_draft(meta: dict) -> str:
    target = int(meta.get("target_words") or 600)
    rng = _seed(meta, "draft", target)
    ctx = _context(meta)
    plan = _plan(meta, max(3, min(6, int((target - 150) / 180 + 0.5) + 1)), rng)
    intro = _intro(meta, ctx, rng, [h for _, h in plan])
    closing = min(110, max(40, target // 9))
    overhead = _words(meta["topic"]) + _words(OFFLINE_LABEL) + sum(_words(h) for _, h in plan)
    budget = (target - overhead - _words(intro) - closing) // (len(plan) - 1)
    blocks = [f"# {_one_line(meta['topic'])}", OFFLINE_LABEL, intro]
    for angle, heading in plan[:-1]:
        blocks += [f"## {heading}", *_body(angle, ctx, rng, budget, with_list=bool(angle.items))]
    blocks += [f"## {plan[-1][1]}", *_closing(ctx, rng, closing)]
    return "\n\n".join(blocks) + "\n"


def _outline_parts(meta: dict) -> tuple[str, str, list[tuple[str, str]]]:
    rng = _seed(meta, "outline", int(meta.get("sections", 4)))
    ctx = _context(meta)
    plan = _plan(meta, int(meta.get("sections", 4)), rng)
    headings = [h for _, h in plan]
    return (_one_line(meta["topic"]), _intro(meta, ctx, rng, headings),
            [(h, _fill(a.covers, ctx, rng)) for a, h in plan])


def _section_blocks(meta: dict, heading: str) -> list[str]:
    ctx = _context(meta)
    rng = _seed(meta, "section", heading)
    words = int(meta.get("words") or 300)
    subject = _subject(meta.get("feedback", ""))
    if subject and _same(subject, heading):
        return [f"## {heading}", *_focus(ctx, rng, subject, words)]
    angle = _find_angle(heading, ctx) or rng.choice(ANGLES)
    if angle is CLOSING:
        return [f"## {heading}", *_closing(ctx, rng, words)]
    return [f"## {heading}", *_body(angle, ctx, rng, words, with_list=True)]


# --- revisions -------------------------------------------------------------------------------


_ADD = re.compile(
    r"\b(?:add|include|cover|discuss|mention|expand on|say more about|more about|more on)\s+"
    r"(?:(?:a|an|one|another|some|the)\s+)?(?:(?:short|new|brief|separate)\s+)?"
    r"(?:(?:section|paragraph|part|passage|note|bit)s?\s+)?(?:(?:on|about|covering|for)\s+)?"
    r"(?:the\s+)?(?P<subject>[^.,;:!?\n]+)", re.I)
_THEN = re.compile(r"\s+(?:and|then|but|also|plus)\s+(?=(?:add|give|make|use|cut|keep|drop|move|"
                   r"remove|expand|shorten|include|fix|check|tighten|explain|rewrite|say|"
                   r"mention|please|maybe|perhaps|try)\b)", re.I)
_NOT_SUBJECTS = ("more", "detail", "details", "depth", "example", "examples", "context", "a",
                 "some", "it", "this", "that", "them", "clarity", "list", "summary")
ACTIONS = {  # feedback words -> what the revision does
    "shorter": re.compile(r"\b(shorter|shorten|too long|cut|trim|tighten|concise|wordy|condense)",
                          re.I),
    "longer": re.compile(r"\b(longer|lengthen|expand|more detail|more depth|elaborate|flesh "
                         r"out|too short|too thin|deeper)", re.I),
    "example": re.compile(r"\b(examples?|concrete|illustrat)", re.I),
    "simpler": re.compile(r"\b(simpl|plain|jargon|clearer|clarity|confusing|readab|dense)", re.I),
    "list": re.compile(r"\b(lists?|bullets?|checklist|steps|summar|skim)", re.I),
}


def _subject(feedback: str) -> str:
    """'Add a section on hive placement' -> 'hive placement' ('' when none is asked for)."""
    match = _ADD.search(_one_line(feedback))
    subject = _THEN.split(match.group("subject"))[0].strip() if match else ""
    words = subject.split()
    if not words or len(words) > 8 or words[0].lower() in _NOT_SUBJECTS:
        return ""
    return subject


def _same(subject: str, heading: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"^(the|a|an)\s+", "", s.strip().lower())
    return norm(subject) == norm(heading) or norm(subject) in norm(heading)


def revision_number(previous: str) -> int:
    """How many offline revisions `previous` already went through (from its note)."""
    found = _NOTE_NUMBER.search(previous or "")
    return int(found.group(1)) if found else 0


def previous_text(prompt_user: str, feedback: str) -> str:
    """The previous version a revise, outline or section prompt quotes (prompts.py), or ''."""
    start = max(0, prompt_user.find(feedback) + len(feedback)) if feedback else 0
    for marker in ("Previous version of this section:\n", "Previous version:\n"):
        at = prompt_user.find(marker, start)
        if at >= 0:
            return prompt_user[at + len(marker):]
    return ""


def _split_blocks(text: str) -> list[str]:
    return [b.strip("\n") for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]


def _is_prose(block: str) -> bool:
    """A paragraph of sentences: not a heading, list, quote, code, table or list lead-in."""
    return bool(re.match(r"[A-Za-z\"'(_]", block)) and not re.match(r"(_|\d+[.)]) ", block) \
        and not block.rstrip().endswith(":") and not block.startswith(("```", "~~~", "|"))


def _sentences(paragraph: str) -> list[str]:
    return _SENTENCE_END.split(paragraph)


def _focus(ctx: dict, rng: _Rng, subject: str, budget: int) -> list[str]:
    focus = _mid_sentence(subject)
    beats = [_fill(b, ctx, rng, focus=focus, Focus=_upper_first(subject)) for b in FOCUS]
    paragraphs, used = [], 0
    while beats and (used < budget - 12 or not paragraphs):
        size = 2 + rng.below(2)
        paragraphs.append(" ".join(beats[:size]))
        beats, used = beats[size:], used + _words(paragraphs[-1])
    return paragraphs


def _revise_blocks(blocks: list[str], feedback: str, ctx: dict, rng: _Rng, *, section: str = "",
                   may_add: bool = False, rewrite: int = 0) -> tuple[list[str], list[str]]:
    """The blocks changed for `feedback`, and a list of what changed (for the note).
    `section`: the heading of blocks that come without one (a single section's body)."""
    blocks, changes = list(blocks), []
    added, touched = "", set()
    subject = _subject(feedback)
    headings = [i for i, b in enumerate(blocks) if b.startswith("## ")]
    if subject and may_add and not any(_same(subject, blocks[i][3:]) for i in headings):
        at = headings[-1] if len(headings) >= 2 else len(blocks)
        added = _upper_first(subject)
        blocks[at:at] = [f"## {added}", *_focus(ctx, rng, subject, 130)]
        changes.append(f"adds a section, “{added}”,")

    def prose() -> list[tuple[int, str]]:
        """(index, heading above) of each paragraph in a section, not the intro or an added one."""
        found, heading = [], section
        for i, block in enumerate(blocks):
            if block.startswith("#"):
                heading = block.lstrip("#").strip()
            elif _is_prose(block) and heading and not (added and heading == added):
                found.append((i, heading))
        return found

    def apply(count: int, edit) -> int:
        done = 0
        for i, heading in rng.shuffled(prose())[:count]:
            new = edit(blocks[i], heading)
            if new and new != blocks[i]:
                blocks[i], done = new, done + 1
                touched.add(heading)
        return done

    def fresh(heading: str, example: bool = False) -> str:
        """A sentence for the passage under `heading` that the text does not have yet."""
        angle = _find_angle(heading, ctx)
        own = (angle.more[:1] if example else angle.more[1:]) if angle else ()
        text = "\n\n".join(blocks)
        for pool in (own, EXAMPLES if example else REWRITES):
            for template in rng.shuffled(pool):
                if _fill(template, ctx, rng) not in text:
                    return _fill(template, ctx, rng)
        return ""

    def replace_one(paragraph: str, heading: str) -> str:
        sentences = _sentences(paragraph)
        choices = [i for i, x in enumerate(sentences) if i and not x.startswith(_KEEP)]
        new = fresh(heading) if choices else ""
        if new:
            sentences[rng.choice(choices)] = new
        return " ".join(sentences)

    shorter = ACTIONS["shorter"].search(feedback)
    if not shorter and apply(rewrite or max(1, len(prose()) // 4), replace_one):
        changes.append("rewrites passages")
    share = max(1, len(prose()) // 3)
    if shorter and apply(len(blocks), lambda p, _: " ".join(_sentences(p)[:-1])
                         if len(_sentences(p)) > 2 else ""):
        changes.append("cuts the last sentence of long paragraphs")
    if ACTIONS["longer"].search(feedback) and apply(share, lambda p, h: f"{p} {fresh(h)}"):
        changes.append("expands passages")
    if ACTIONS["simpler"].search(feedback) and apply(
            len(blocks), lambda p, _: re.sub(r"; (\w)", lambda m: ". " + m.group(1).upper(), p)):
        changes.append("splits long sentences")
    if ACTIONS["example"].search(feedback) and prose():
        i, heading = rng.choice(prose())
        example = fresh(heading, example=True)
        if example:
            blocks.insert(i + 1, example)
            touched.add(heading)
            changes.append("adds an example")
    if ACTIONS["list"].search(feedback) and may_add and "**In brief:**" not in blocks:
        firsts = [_sentences(blocks[i])[0] for i, h in prose() if h][::2][:5]
        if len(firsts) >= 2:
            at = next((i for i, b in enumerate(blocks) if b.startswith("## ")), len(blocks))
            blocks[at:at] = ["**In brief:**", "\n".join(f"- {s}" for s in firsts)]
            changes.append("adds a summary list")
    changed = sorted(touched - {added, section})
    if changed:
        changes.append(f"(changed: {_and([f'“{h}”' for h in changed])})")
    return blocks, changes


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _note(feedback: str, number: int, changes: list[str]) -> str:
    """The labelled note on top of a revision: the feedback, then what this version changed."""
    note = f"{NOTE} (revision {number}): {_one_line(feedback)}"
    where = [c for c in changes if c.startswith("(")]
    did = [c for c in changes if not c.startswith("(")]
    if did:
        note += f"\n>\n> This version {_and(did)}".replace(",, ", ", ").rstrip(",")
        note += (" " + where[0] if where else "") + "."
    return note


def _without_labels(blocks: list[str]) -> list[str]:
    return [b for b in blocks if b != OFFLINE_LABEL and not b.startswith(NOTE)]


def _revision(meta: dict) -> str:
    feedback = meta["feedback"]
    previous = meta.get("previous_text") or _first_draft({**meta, "feedback": ""})
    number = revision_number(previous) + 1
    rng = _seed(meta, "revise", feedback, number, previous)
    blocks = _without_labels(_split_blocks(previous))
    title = blocks.pop(0) if blocks and blocks[0].startswith("# ") else \
        f"# {_one_line(meta['topic'])}"
    blocks, changes = _revise_blocks(blocks, feedback, _context(meta), rng, may_add=True)
    return "\n\n".join([title, OFFLINE_LABEL, _note(feedback, number, changes), *blocks]) + "\n"


# --- entry points ----------------------------------------------------------------------------


def offline_markdown(meta: dict) -> str:
    """A whole draft of about meta["target_words"] words; a revision when meta["feedback"]."""
    return _revision(meta) if meta.get("feedback") else _first_draft(meta)


def offline_outline(meta: dict) -> str:
    """Title, label, intro, then `## heading` + one line per section (prompts.parse_outline).
    A revision keeps the previous version's title and headings, adds a section the feedback
    asks for, and puts the note in the introduction."""
    title, intro, sections = _outline_parts(meta)
    blocks = [OFFLINE_LABEL, intro]
    feedback = meta.get("feedback", "")
    if feedback:
        previous = meta.get("previous_text", "")
        number = revision_number(previous) + 1
        old = _without_labels(_split_blocks(previous))
        if old and any(b.startswith("## ") for b in old):
            if old[0].startswith("# "):
                title = old.pop(0)[2:].strip()
            first = next(i for i, b in enumerate(old) if b.startswith("## "))
            intro_blocks = old[:first] or [intro]
            headings = [b.splitlines()[0][3:].strip() for b in old if b.startswith("## ")]
            covers = {h: c for h, c in sections}
            sections = [(h, covers.get(h, f"What {_mid_sentence(h)} means here.")) for h in
                        headings]
        else:
            intro_blocks = [intro]
        changes = ["revises passages in each section"]
        subject = _subject(feedback)
        if subject and not any(_same(subject, h) for h, _ in sections):
            at = len(sections) - 1 if len(sections) >= 2 else len(sections)
            sections.insert(at, (_upper_first(subject), f"What to know about {subject}."))
            changes.insert(0, f"adds a section, “{_upper_first(subject)}”,")
        blocks = [OFFLINE_LABEL, _note(feedback, number, changes), *intro_blocks]
    lines = [f"# {title}", "", "\n\n".join(blocks), ""]
    for heading, covers in sections:
        lines += [f"## {heading}", covers, ""]
    return "\n".join(lines).rstrip() + "\n"


def offline_passage(meta: dict) -> str:
    """One commented passage rewritten by rule (the targeted revision), from what its comments
    (and the general remark) ask: shorter drops its last sentence, simpler splits long
    sentences, an example or more detail adds a sentence; otherwise a sentence of it is
    replaced by a fresh one. Never the text around it. Its label is the version's (an
    offline version says so in its details), never text in the draft."""
    passage = meta["passage"]
    asks = f"{meta.get('thread', '')} {meta.get('feedback', '')}"
    ctx, rng = _context(meta), _seed(meta, "passage", passage, asks)
    around = f"{meta.get('before', '')} {meta.get('after', '')}"
    sentences = _sentences(passage)
    if ACTIONS["shorter"].search(asks) and len(sentences) > 1:
        return " ".join(sentences[:-1])
    if ACTIONS["simpler"].search(asks) and "; " in passage:
        return re.sub(r"; (\w)", lambda m: ". " + m.group(1).upper(), passage)
    example = bool(ACTIONS["example"].search(asks))
    pool = EXAMPLES if example else REWRITES
    fresh = [s for s in (_fill(t, ctx, rng) for t in rng.shuffled(pool))
             if s not in passage and s not in around]
    new = fresh[0] if fresh else f"Put another way: {passage[:1].lower()}{passage[1:]}"
    if example or ACTIONS["longer"].search(asks):
        return f"{passage} {new}"
    if len(sentences) > 1:
        return " ".join([*sentences[:-1], new])
    return new


def offline_section(meta: dict) -> str:
    """One `## meta["heading"]` section of about meta["words"] words; with meta["feedback"],
    the previous section (meta["previous_text"], else regenerated) revised."""
    heading = meta["heading"]
    blocks = _section_blocks(meta, heading)
    feedback = meta.get("feedback", "")
    previous = meta.get("previous_text", "")
    if feedback and not (_subject(feedback) and _same(_subject(feedback), heading)
                         and not previous):
        if previous:
            blocks = _split_blocks(previous)
        rng = _seed(meta, "section-revise", heading, feedback, previous)
        head, body = ([blocks[0]], blocks[1:]) if blocks[0].startswith("## ") else \
            ([f"## {heading}"], blocks)
        body, _ = _revise_blocks(body, feedback, _context(meta), rng, section=heading)
        blocks = head + body
    return "\n\n".join(blocks) + "\n"
