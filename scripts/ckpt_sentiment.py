"""Build the `sentiment` checkpoint: MiniLM fine-tuned on generated sentences, shipped as a small delta."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

if __name__ == "__main__":
    # Idle OpenMP threads sleep instead of spinning: on a shared machine this was 3-5x faster, and it
    # cannot change results (it must be set before torch loads its OpenMP runtime).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT / "src") not in sys.path:  # running the file directly, without PYTHONPATH=src
    sys.path.insert(0, str(REPO_ROOT / "src"))

from structapi.catalog import assemble_delta, checkpoint, sha256_of  # noqa: E402
from structapi.repro import seed_everything  # noqa: E402

__all__ = [
    "ID2LABEL",
    "NATURAL_HELD_OUT",
    "TRAINED_PREFIXES",
    "Example",
    "generate_dataset",
    "trainable_parameter_names",
    "build",
    "evaluate",
    "main",
]

Example = tuple[str, int]
ID2LABEL = {0: "NEGATIVE", 1: "POSITIVE"}
LABEL2ID = {label: index for index, label in ID2LABEL.items()}
NEG, POS = 0, 1
DEFAULT_OUT = REPO_ROOT / "assets" / "checkpoints" / "sentiment"
DELTA_MAX_BYTES = 8_000_000

# What is trained: the top encoder layer re-reads the whole sentence (so negation and "but" clauses can
# flip the verdict), the pooler is re-purposed from next-sentence prediction, and the head is new.
# Two layers would double the delta past 8 MB; the lower five layers' weight matrices stay as in the base.
TRAINED_PREFIXES = ("bert.encoder.layer.5.", "bert.pooler.", "classifier.")
# Plus every bias and LayerNorm below it (BitFit): ~26k parameters, 0.1 MB, that let the frozen layers
# shift their features a little; on the generated validation split this beat the top layer alone.
TRAIN_BIASES_AND_NORMS = True

# Full-run hyperparameters, chosen on the generated validation split and kept small enough for 2 CPU cores.
FULL_STEPS = 500
BATCH_SIZE = 32
LEARNING_RATE = 3e-4
HEAD_LEARNING_RATE = 1e-3
WARMUP_FRACTION = 0.1
TRAIN_SIZE = 8000
HELD_OUT_SIZE = 600

# ---------------------------------------------------------------------------------------------------
# Natural held-out sentences: written by hand for this file, never produced by the generator below.
# ---------------------------------------------------------------------------------------------------
NATURAL_HELD_OUT: list[Example] = [
    ("I've been waiting for a HuggingFace course my whole life.", POS),
    ("I hate this so much!", NEG),
    ("My grandmother's lentil soup could cure any bad day.", POS),
    ("The battery barely lasts an hour, and now the charger is dead too.", NEG),
    ("The sequel is somehow even better than the original.", POS),
    ("Two hours on hold and nobody ever picked up.", NEG),
    ("We laughed from the opening scene until the credits rolled.", POS),
    ("The plot made no sense and I nearly dozed off halfway through.", NEG),
    ("The nurse who looked after my father was patient and endlessly reassuring.", POS),
    ("My soup arrived cold and the waiter just shrugged.", NEG),
    ("Three winters later, these boots still keep my feet dry.", POS),
    ("I regret every penny I spent on this subscription.", NEG),
    ("Support fixed my account problem in under five minutes.", POS),
    ("It poured the entire holiday and the hotel roof leaked onto our bed.", NEG),
    ("Sunshine all weekend and a picnic by the lake, just perfect.", POS),
    ("He interrupts everyone in meetings and takes credit for other people's work.", NEG),
    ("After this lecture, attention finally clicked for me.", POS),
    ("The latest update wiped my photos without any warning.", NEG),
    ("I'd happily pay twice the ticket price to see that band again.", POS),
    ("Why does this website crash every single time I press submit?", NEG),
    ("She has a gift for making everyone in the room feel welcome.", POS),
    ("The instructions were so confusing that I gave up after ten minutes.", NEG),
    ("There wasn't a single dull page in the whole novel.", POS),
    ("I wouldn't wish that flight on my worst enemy.", NEG),
    ("Our new puppy has brought so much joy into the house.", POS),
    ("The room smelled of smoke and the sheets were stained.", NEG),
    ("This tiny café has become my favourite spot for a quiet Sunday.", POS),
    ("After all the hype, it was completely forgettable.", NEG),
    ("I can't remember the last time a game kept me up this late, in the best way.", POS),
    ("The new menu is overpriced and the portions have shrunk.", NEG),
]

# ---------------------------------------------------------------------------------------------------
# The generator: templates x subjects x phrases. Word lists are split so the held-out split contains
# subjects and adjectives the model never saw in training (a test of generalisation, not of memory).
# ---------------------------------------------------------------------------------------------------
SUBJECTS: dict[str, list[str]] = {
    "product": ["this phone", "the laptop", "my new blender", "this vacuum cleaner", "the camera",
                "this keyboard", "the coffee machine", "my new bike", "this jacket", "the printer",
                "this mattress", "the smartwatch"],
    "film": ["this movie", "the film", "the documentary", "this series", "the season finale",
             "the new thriller", "that cartoon", "the play", "this sitcom", "the musical"],
    "book": ["this book", "the memoir", "her latest novel", "the comic", "this poetry collection",
             "the biography", "that short story"],
    "food": ["the pasta", "this pizza", "the burger", "the curry", "this restaurant", "the bakery",
             "the sushi", "the dessert", "the coffee here", "this bakery's bread", "the salad", "the ramen"],
    "course": ["this course", "the lecture", "the tutorial", "the workshop", "the textbook",
               "this online class", "the bootcamp", "the seminar", "the training session",
               "this statistics module"],
    "weather": ["the weather", "today's weather", "the weather this week", "the forecast",
                "the weather on our trip", "this spring"],
    "person": ["my neighbour", "the teacher", "the manager", "my colleague", "the coach", "the receptionist",
               "the driver", "the doctor", "our tour guide", "the landlord", "my boss", "the host"],
    "travel": ["the hotel", "the train journey", "the airline", "the delivery service", "the cruise",
               "the campsite", "the resort", "the ferry"],
    "software": ["the app", "this library", "the new version", "the documentation", "this browser",
                 "the editor", "the installer", "this operating system"],
    "music": ["the concert", "this album", "the festival", "the band", "the new single", "the show last night",
              "this playlist"],
    "game": ["this game", "the board game", "the new level", "the multiplayer mode", "this puzzle"],
    "home": ["the new flat", "our neighbourhood", "the garden", "the house we rented", "this apartment",
             "the new kitchen"],
    "work": ["my new job", "the meeting", "the office", "the project kickoff", "the team retreat",
             "the new schedule"],
    "health": ["the clinic", "the dentist appointment", "the physiotherapy", "the hospital", "the new medication"],
    "sport": ["the match", "our team", "the gym", "the marathon", "the final", "the new stadium"],
}
HELD_OUT_SUBJECTS = 2  # the last subjects of every topic appear only in the held-out split

POS_ADJ = ["good", "great", "excellent", "wonderful", "fantastic", "amazing", "brilliant", "lovely",
           "outstanding", "enjoyable", "impressive", "delightful", "perfect", "fabulous", "pleasant",
           "remarkable", "awesome", "splendid", "superb", "terrific", "marvelous"]
NEG_ADJ = ["bad", "terrible", "awful", "horrible", "dreadful", "disappointing", "poor", "mediocre",
           "unbearable", "frustrating", "annoying", "pathetic", "miserable", "useless", "boring",
           "dull", "infuriating", "lousy", "abysmal", "appalling", "atrocious"]
HELD_OUT_ADJ = 3  # the last adjectives of each list appear only in the held-out split

INTENSIFIERS = ["", "", "", "very ", "really ", "so ", "incredibly ", "truly ", "extremely ", "pretty ",
                "absolutely ", "genuinely "]
OPENERS = ["", "", "", "", "Honestly, ", "Well, ", "Overall, ", "To be fair, ", "Seriously, ", "In short, ",
           "I must say, ", "Frankly, "]
ENDINGS = [".", ".", ".", "!", "!!", "", "..."]

# Predicates that carry sentiment without an adjective, per topic; "{d}" is a stretch of time.
EVENTS: dict[str, tuple[list[str], list[str]]] = {
    "product": (["works like a charm", "still runs like new after {d}", "does everything I hoped for",
                 "paid for itself within {d}", "has made my mornings so much easier"],
                ["broke within {d}", "fell apart after {d}", "keeps overheating", "quit on me after {d}",
                 "was already scratched when it arrived", "leaks everywhere"]),
    "film": (["kept me on the edge of my seat", "had the whole cinema cheering", "made me laugh out loud",
              "moved me to tears in the best way", "is a masterpiece"],
             ["dragged on forever", "bored me to tears", "had the most predictable ending imaginable",
              "felt like a waste of an evening", "made me want to walk out"]),
    "book": (["kept me reading until dawn", "is one I will reread for years", "made me fall in love with reading",
              "gripped me from the first chapter"],
             ["was a chore to finish", "lost me after the first chapter", "is full of clichés",
              "felt like homework"]),
    "food": (["was fresh and full of flavour", "melted in my mouth", "tasted like home",
              "was worth the trip across town"],
             ["was bland and overcooked", "tasted stale", "was swimming in grease", "made me feel sick",
              "was burnt on one side and raw on the other"]),
    "course": (["explained everything clearly", "taught me more than a year of reading on my own",
                "was easy to follow", "gave me the confidence to build my own projects"],
               ["was impossible to follow", "skipped all the important parts", "was full of mistakes",
                "left me more lost than before", "rambled without ever getting to the point"]),
    "weather": (["is perfect for a walk", "was warm and sunny all day", "turned our trip into a dream",
                 "could not have been nicer"],
                ["was grey and miserable", "ruined our plans", "was freezing and wet", "flooded the garden",
                 "kept us stuck indoors all week"]),
    "person": (["was friendly and helpful", "went out of their way to help us", "always listens",
                "made us feel right at home", "treats everyone with respect", "shares what they know generously",
                "stayed late to help me finish", "always has an encouraging word"],
               ["was rude and dismissive", "ignored us completely", "never listens", "shouted at us for no reason",
                "blamed everyone but themselves", "never keeps a promise", "gossips about everyone",
                "made the whole team miserable"]),
    "travel": (["arrived right on time", "was spotless and comfortable", "made the whole trip effortless",
                "upgraded us for free"],
               ["was delayed yet again", "lost my luggage", "was filthy", "cancelled without telling anyone",
                "overcharged us and refused a refund"]),
    "software": (["is fast and reliable", "just works", "saved me hours of work", "made the job a breeze"],
                 ["keeps freezing", "is painfully slow", "is full of bugs", "logs me out constantly",
                  "lost a whole day of my work"]),
    "music": (["gave me goosebumps", "had everyone dancing", "was the highlight of my year",
               "sounds better every time I hear it"],
              ["was out of tune the whole time", "was painfully loud and muddy", "ended after twenty minutes",
               "sounded like a cheap copy of their old stuff"]),
    "game": (["kept me hooked for hours", "is pure fun from start to finish", "gets better every round",
              "is clever and beautifully designed"],
             ["is unfair and repetitive", "crashed and wiped my progress", "is pay-to-win garbage",
              "gets tedious after ten minutes"]),
    "home": (["gets lovely morning light", "is quiet and cosy", "felt like home from day one",
              "has the friendliest neighbours"],
             ["has mould in every corner", "is freezing all winter", "is noisy day and night",
              "has a landlord who never answers"]),
    "work": (["finished early for once", "gave me room to grow", "comes with a team that has my back",
              "made me excited for Monday"],
             ["ran two hours over", "wasted the whole afternoon", "left me completely burnt out",
              "achieved absolutely nothing"]),
    "health": (["had me back on my feet in days", "was painless and quick", "finally took my pain seriously",
                "gave me my energy back"],
               ["left me in more pain than before", "felt rushed and careless", "gave me awful side effects",
                "lost my test results twice"]),
    "sport": (["won in the final minute", "played their hearts out", "was thrilling from the first whistle",
               "got me into the best shape of my life"],
              ["lost without a fight", "was a dull goalless draw", "let the fans down again",
               "is overcrowded and the machines are broken"]),
}
CLOSERS = (["Highly recommended.", "Would buy again.", "Ten out of ten.", "Money well spent.", "Can't complain.",
            "Count me in next time.", "Loved every minute.", "A real gem."],
           ["Never again.", "Not impressed.", "What a waste.", "Lesson learned.", "Avoid.", "Zero stars.",
            "I want my money back.", "So disappointing."])
DURATIONS = ["a week", "two days", "a month", "three weeks", "a year", "two hours", "forty minutes",
             "half an hour", "six months", "ages"]
ANTICIPATED = ["the new season", "their next album", "a proper course on machine learning", "the sequel",
               "the summer holidays", "this release", "the festival", "a chance like this", "the new edition",
               "a phone this good", "the concert", "a course like this", "the book launch", "a day off"]
AWAITED_BADLY = ["my refund", "my order", "the repair", "a reply from support", "the bus", "my table",
                 "the technician", "the delivery", "an answer", "my luggage", "the doctor", "the train"]
POS_NOUNS = ["a delight", "a treat", "a joy", "a gem", "a triumph", "a pleasure", "a masterpiece", "a win"]
NEG_NOUNS = ["a disaster", "a mess", "a waste of time", "a waste of money", "a joke", "a letdown",
             "a nightmare", "a rip-off"]
POS_FEELINGS = ["happy", "inspired", "grateful", "delighted", "energised", "thrilled", "relaxed"]
NEG_FEELINGS = ["cheated", "exhausted", "annoyed", "furious", "disappointed", "miserable", "disgusted"]
LOVE_VERBS = ["love", "adore", "really like", "enjoy", "really enjoy", "am a huge fan of", "absolutely love"]
HATE_VERBS = ["hate", "despise", "loathe", "can't stand", "really dislike", "detest", "absolutely hate"]


class _Pools:
    """The word lists one split may draw from."""

    def __init__(self, held_out: bool) -> None:
        pick = (lambda words, k: words[-k:]) if held_out else (lambda words, k: words[:-k])
        self.subjects = {topic: pick(names, HELD_OUT_SUBJECTS) for topic, names in SUBJECTS.items()}
        self.pos_adj = pick(POS_ADJ, HELD_OUT_ADJ)
        self.neg_adj = pick(NEG_ADJ, HELD_OUT_ADJ)


def _cap(text: str) -> str:
    """Upper-case the first character only."""
    return text[:1].upper() + text[1:]


def _adj(rng: random.Random, pools: _Pools, label: int) -> str:
    """Draw a sentiment adjective of `label`'s polarity."""
    return rng.choice(pools.pos_adj if label == POS else pools.neg_adj)


def _subject(rng: random.Random, pools: _Pools) -> tuple[str, str]:
    """Draw a (topic, subject) pair, each topic equally likely."""
    topic = rng.choice(sorted(pools.subjects))
    return topic, rng.choice(pools.subjects[topic])


def _event(rng: random.Random, topic: str, label: int) -> str:
    """Draw a topic-specific event phrase of `label`'s polarity."""
    return rng.choice(EVENTS[topic][0 if label == POS else 1]).format(d=rng.choice(DURATIONS))


def _t_adjective(rng: random.Random, pools: _Pools, label: int) -> str:
    """'The camera was really great.'"""
    _, subj = _subject(rng, pools)
    verb = rng.choice(["is", "was", "has been", "turned out to be", "looks", "seems"])
    return f"{rng.choice(OPENERS)}{subj} {verb} {rng.choice(INTENSIFIERS)}{_adj(rng, pools, label)}{rng.choice(ENDINGS)}"


def _t_negated(rng: random.Random, pools: _Pools, label: int) -> str:
    """'The film was not good' (NEGATIVE), 'The hotel is hardly disappointing' (POSITIVE)."""
    # "not good" is negative and "never disappointing" positive: the adjective's polarity is flipped.
    _, subj = _subject(rng, pools)
    adjective = _adj(rng, pools, NEG if label == POS else POS)
    negation = rng.choice(["is not", "was not", "isn't", "wasn't", "was never", "is never", "is hardly",
                           "was far from", "is anything but", "was not at all", "is not very",
                           "wasn't even slightly"])
    plain = negation in {"is not", "was not", "isn't", "wasn't"}
    tail = rng.choice(["", "", " at all", " in the slightest"]) if plain else ""
    return f"{rng.choice(OPENERS)}{subj} {negation} {adjective}{tail}{rng.choice(ENDINGS)}"


def _t_nothing(rng: random.Random, pools: _Pools, label: int) -> str:
    """'There was nothing good about X' (NEGATIVE), 'Everything about X was lovely' (POSITIVE)."""
    _, subj = _subject(rng, pools)
    if rng.random() < 0.5:
        adjective = _adj(rng, pools, NEG if label == POS else POS)
        return f"There was nothing {adjective} about {subj}{rng.choice(ENDINGS)}"
    adjective = _adj(rng, pools, label)
    return f"Everything about {subj} was {rng.choice(INTENSIFIERS)}{adjective}{rng.choice(ENDINGS)}"


def _t_verb(rng: random.Random, pools: _Pools, label: int) -> str:
    """'I adore X', 'I can't stand X', 'I don't like X'."""
    _, subj = _subject(rng, pools)
    if rng.random() < 0.25:  # negated verbs: "I don't like" is negative, "I never get tired of" positive
        phrase = (rng.choice(["never get tired of", "can't get enough of", "could never stay mad at"])
                  if label == POS else rng.choice(["don't like", "do not enjoy", "can't bring myself to like",
                                                   "never enjoyed"]))
    else:
        phrase = rng.choice(LOVE_VERBS if label == POS else HATE_VERBS)
    tail = rng.choice(["", "", " more than anything", " with all my heart", " and I don't care who knows it",
                       " these days"])
    if label == NEG and tail == " with all my heart":
        tail = " with a passion"
    return f"{rng.choice(OPENERS)}I {phrase} {subj}{tail}{rng.choice(ENDINGS)}"


def _t_anticipation(rng: random.Random, pools: _Pools, label: int) -> str:
    """Eager waiting (POSITIVE) against being kept waiting (NEGATIVE)."""
    # Waiting is not negative by itself: eagerness is positive, being kept waiting is negative.
    if label == POS:
        thing = rng.choice(ANTICIPATED)
        return rng.choice([
            f"I can't wait for {thing}!",
            f"I have been looking forward to {thing} for {rng.choice(['weeks', 'months', 'years', 'ages'])}",
            f"I've waited years for {thing} and it's finally here!",
            f"I've dreamed of {thing} since I was a kid.",
            f"Counting the days until {thing}!",
            f"I've wanted {thing} for as long as I can remember, and now it's real",
            f"So excited about {thing}!",
            f"{_cap(thing)} is exactly what I've been hoping for.",
            f"I have been longing for {thing} forever.",
            f"Finally, {thing}! I've been waiting for this for so long.",
        ])
    thing = rng.choice(AWAITED_BADLY)
    duration = rng.choice(DURATIONS)
    return rng.choice([
        f"I've been waiting for {thing} for {duration} and still nothing.",
        f"Still waiting for {thing} after {duration}. Unacceptable.",
        f"I was kept waiting {duration} for {thing}.",
        f"We waited {duration} for {thing} and nobody even apologised.",
        f"I'm dreading {rng.choice(ANTICIPATED)}.",
        f"{duration[:1].upper() + duration[1:]} of waiting for {thing}, and I'm fed up.",
        f"I've given up waiting for {thing}.",
    ])


def _t_exclamation(rng: random.Random, pools: _Pools, label: int) -> str:
    """'What a treat!', 'Ugh, the app keeps freezing!'."""
    _, subj = _subject(rng, pools)
    nouns = POS_NOUNS if label == POS else NEG_NOUNS
    return rng.choice([
        f"What {rng.choice(nouns)}!",
        f"What {rng.choice(nouns)} {subj} was!",
        f"Wow, {subj} is {rng.choice(INTENSIFIERS)}{_adj(rng, pools, label)}!",
        f"{_cap(subj)}? {_cap(rng.choice(nouns))}!",
        f"{'Yay' if label == POS else 'Ugh'}, {subj} {_event(rng, _topic_of(subj), label)}!",
        f"{'Bravo' if label == POS else 'Shame on'} {subj}!",
        f"{_cap(subj)} was {rng.choice(nouns)}, {rng.choice(['seriously', 'honestly', 'no question'])}!",
    ])


def _t_question(rng: random.Random, pools: _Pools, label: int) -> str:
    """'Could X be any better?' (POSITIVE), 'Why is X so dull?' (NEGATIVE)."""
    _, subj = _subject(rng, pools)
    if label == POS:
        return rng.choice([
            f"Isn't {subj} {_adj(rng, pools, POS)}?",
            f"Could {subj} be any better?",
            f"Has anyone else noticed how {_adj(rng, pools, POS)} {subj} is?",
            f"How is {subj} this {_adj(rng, pools, POS)}?",
            f"Why didn't anyone tell me {subj} was so {_adj(rng, pools, POS)}?",
            f"Who knew {subj} could be so {_adj(rng, pools, POS)}?",
        ])
    return rng.choice([
        f"Why is {subj} so {_adj(rng, pools, NEG)}?",
        f"Could {subj} be any worse?",
        f"Who decided {subj} was a good idea?",
        f"How can {subj} be this {_adj(rng, pools, NEG)}?",
        f"Is it just me, or is {subj} {rng.choice(INTENSIFIERS)}{_adj(rng, pools, NEG)}?",
        f"Why did I ever pay for {subj}?",
    ])


def _t_recommend(rng: random.Random, pools: _Pools, label: int) -> str:
    """Recommendations, ratings and warnings."""
    _, subj = _subject(rng, pools)
    if label == POS:
        return rng.choice([
            f"I would {rng.choice(['', 'definitely ', 'happily '])}recommend {subj} to anyone.",
            f"{_cap(subj)} is worth every penny.",
            f"Do yourself a favour and try {subj}.",
            f"Don't miss {subj}!",
            f"Five stars for {subj}.",
            f"{_cap(subj)} gets a ten out of ten from me.",
        ])
    return rng.choice([
        f"I would never recommend {subj} to anyone.",
        f"{_cap(subj)} was a complete waste of money.",
        f"Stay away from {subj}.",
        f"Avoid {subj} at all costs.",
        f"One star for {subj}, and that is generous.",
        f"{_cap(subj)} gets a zero out of ten from me.",
    ])


def _t_effect(rng: random.Random, pools: _Pools, label: int) -> str:
    """What X did to the writer's mood."""
    _, subj = _subject(rng, pools)
    if label == POS:
        return rng.choice([
            f"{_cap(subj)} made my day.",
            f"{_cap(subj)} put a smile on my face.",
            f"I left {subj} feeling {rng.choice(POS_FEELINGS)}.",
            f"{_cap(subj)} made me so {rng.choice(POS_FEELINGS)}.",
            f"{_cap(subj)} brightened my whole week.",
        ])
    return rng.choice([
        f"{_cap(subj)} ruined my {rng.choice(['evening', 'weekend', 'day', 'holiday', 'birthday'])}.",
        f"{_cap(subj)} gave me a headache.",
        f"I left {subj} feeling {rng.choice(NEG_FEELINGS)}.",
        f"{_cap(subj)} made me so {rng.choice(NEG_FEELINGS)}.",
        f"{_cap(subj)} drove me up the wall.",
    ])


def _t_event(rng: random.Random, pools: _Pools, label: int) -> str:
    """A topic-specific fact without a sentiment adjective."""
    topic, subj = _subject(rng, pools)
    return f"{rng.choice(OPENERS)}{subj} {_event(rng, topic, label)}{rng.choice(ENDINGS)}"


PROBLEMS = ["my problem", "the issue", "the leak", "the bug", "my back pain", "the confusion", "the noise",
            "the billing mistake", "the dropped connection", "the mess", "my stress", "the delay"]


def _t_resolution(rng: random.Random, pools: _Pools, label: int) -> str:
    """Problems fixed (POSITIVE) or caused (NEGATIVE)."""
    # A negative word is not a negative verdict: fixing a problem is good news, causing one is bad news.
    _, subj = _subject(rng, pools)
    problem = rng.choice(PROBLEMS)
    if label == POS:
        verb = rng.choice(["fixed", "solved", "sorted out", "got rid of", "took care of", "cleared up", "ended"])
        when = rng.choice([" in no time", " right away", " for good", " in minutes", ""])
        return rng.choice([f"{_cap(subj)} {verb} {problem}{when}.",
                           f"Thanks to {subj}, {problem} is gone{rng.choice(['.', '!'])}",
                           f"{_cap(problem)}? {_cap(subj)} {verb.replace('sorted out', 'fixed').replace('cleared up', 'solved')} it"
                           f"{rng.choice(['.', '!'])}"])
    verb = rng.choice(["caused", "created", "made", "only made", "never fixed", "ignored", "doubled"])
    worse = " worse" if verb in ("made", "only made") else ""
    return rng.choice([f"{_cap(subj)} {verb} {problem}{worse}.",
                       f"Because of {subj}, {problem} is still there{rng.choice(['.', '!'])}",
                       f"{_cap(problem)}? {_cap(subj)} {verb} it{worse}{rng.choice(['.', '!'])}"])


def _t_comparison(rng: random.Random, pools: _Pools, label: int) -> str:
    """X against expectations or alternatives."""
    _, subj = _subject(rng, pools)
    if label == POS:
        return rng.choice([f"{_cap(subj)} is better than I ever imagined.",
                           f"{_cap(subj)} beats everything else I have tried.",
                           f"{_cap(subj)} is twice as good as the last one.",
                           f"Nothing comes close to {subj}."])
    return rng.choice([f"{_cap(subj)} is worse than I ever imagined.",
                       f"{_cap(subj)} is a step down from the last one.",
                       f"Every alternative beats {subj}.",
                       f"{_cap(subj)} is nowhere near as good as people claim."])


def _t_contrast(rng: random.Random, pools: _Pools, label: int) -> str:
    """Two clauses of opposite polarity; the last one decides."""
    # The clause after "but"/"despite" carries the verdict, so the model must not just count words.
    topic, subj = _subject(rng, pools)
    other = NEG if label == POS else POS
    return rng.choice([
        f"I expected {subj} to be {_adj(rng, pools, other)}, but it was {_adj(rng, pools, label)}.",
        f"{_cap(subj)} looked {_adj(rng, pools, other)} at first, but it turned out {_adj(rng, pools, label)}.",
        f"Despite the {_adj(rng, pools, other)} reviews, {subj} was {_adj(rng, pools, label)}.",
        f"{_cap(subj)} {_event(rng, topic, other)}, but overall it was {_adj(rng, pools, label)}.",
        f"The start was {_adj(rng, pools, other)}, yet {subj} ended up {rng.choice(INTENSIFIERS)}"
        f"{_adj(rng, pools, label)}.",
        f"Everyone said {subj} was {_adj(rng, pools, other)}; I found it {_adj(rng, pools, label)}.",
    ])


def _topic_of(subject: str) -> str:
    """Return the topic a subject belongs to."""
    return next(topic for topic, names in SUBJECTS.items() if subject in names)


def _t_compound(rng: random.Random, pools: _Pools, label: int) -> str:
    """Two facts of one polarity, optionally followed by a short verdict."""
    # Longer, review-like sentences: two facts of one polarity, sometimes with a short verdict after them.
    topic, subj = _subject(rng, pools)
    first, second = _event(rng, topic, label), _event(rng, topic, label)
    while second == first:
        second = _event(rng, topic, label)
    link = rng.choice([" and ", ", and ", " and it also ", ", plus it "])
    closer = rng.choice(["", "", f" {rng.choice(CLOSERS[0 if label == POS else 1])}"])
    return f"{rng.choice(OPENERS)}{subj} {first}{link}{second}.{closer}"


def _t_closer(rng: random.Random, pools: _Pools, label: int) -> str:
    """A fact followed by a short verdict."""
    topic, subj = _subject(rng, pools)
    return f"{_cap(subj)} {_event(rng, topic, label)}. {rng.choice(CLOSERS[0 if label == POS else 1])}"


TEMPLATES: list[Callable[[random.Random, _Pools, int], str]] = [
    _t_adjective, _t_adjective, _t_negated, _t_negated, _t_nothing, _t_verb, _t_anticipation, _t_exclamation,
    _t_question, _t_recommend, _t_effect, _t_event, _t_event, _t_contrast, _t_resolution, _t_comparison,
    _t_compound, _t_compound, _t_closer,
]


def _generate(rng: random.Random, pools: _Pools, size: int, exclude: set[str]) -> list[Example]:
    """Draw `size` distinct sentences, alternating labels so the split is exactly balanced."""
    seen: set[str] = set(exclude)
    examples: list[Example] = []
    attempts = 0
    while len(examples) < size:
        attempts += 1
        if attempts > 50 * size:
            raise RuntimeError(f"the generator ran out of distinct sentences after {len(examples)}")
        label = len(examples) % 2
        text = _cap(rng.choice(TEMPLATES)(rng, pools, label).strip())
        if text.lower() not in seen:
            seen.add(text.lower())
            examples.append((text, label))
    return examples


def generate_dataset(seed: int = 0, train_size: int = TRAIN_SIZE,
                     held_out_size: int = HELD_OUT_SIZE) -> tuple[list[Example], list[Example]]:
    """Return (train, held_out) generated examples; held_out uses subjects and adjectives unseen in train."""
    rng = random.Random(seed)
    natural = {text.lower() for text, _ in NATURAL_HELD_OUT}
    held_out = _generate(rng, _Pools(held_out=True), held_out_size, natural)
    train = _generate(rng, _Pools(held_out=False), train_size, natural | {t.lower() for t, _ in held_out})
    return train, held_out


# ---------------------------------------------------------------------------------------------------
# Training, delta extraction, assembly and verification.
# ---------------------------------------------------------------------------------------------------
def trainable_parameter_names(model: torch.nn.Module) -> list[str]:
    """Return the parameter names this build trains (all others stay frozen at the base weights)."""
    return [name for name, _ in model.named_parameters()
            if name.startswith(TRAINED_PREFIXES)
            or (TRAIN_BIASES_AND_NORMS and (name.endswith(".bias") or ".LayerNorm." in name))]


def _load_fresh_model(base_dir: Path) -> torch.nn.Module:
    """Load MiniLM as a 2-label BertForSequenceClassification with a fresh head."""
    from transformers import BertForSequenceClassification

    # The base checkpoint is a bare BertModel: from_pretrained adds the "bert." prefix and a new,
    # seeded-random classifier head.
    return BertForSequenceClassification.from_pretrained(
        base_dir, num_labels=2, id2label=dict(ID2LABEL), label2id=dict(LABEL2ID)
    )


def _batches(tokenizer, examples: list[Example], batch_size: int) -> Iterator[dict[str, torch.Tensor]]:
    """Tokenize `examples` in order into padded batches with labels."""
    for start in range(0, len(examples), batch_size):
        chunk = examples[start:start + batch_size]
        encoded = tokenizer([text for text, _ in chunk], padding=True, truncation=True, max_length=64,
                            return_tensors="pt")
        encoded["labels"] = torch.tensor([label for _, label in chunk])
        yield encoded


@torch.inference_mode()
def _predict(model: torch.nn.Module, tokenizer, texts: list[str], batch_size: int = 64) -> torch.Tensor:
    """Return the logits for `texts` in eval mode."""
    was_training = model.training
    model.eval()
    # Batching sentences of similar length wastes less compute on padding.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    logits = torch.empty(len(texts), model.config.num_labels)
    for start in range(0, len(texts), batch_size):
        chunk = order[start:start + batch_size]
        encoded = tokenizer([texts[i] for i in chunk], padding=True, truncation=True, max_length=64,
                            return_tensors="pt")
        logits[chunk] = model(**encoded).logits
    model.train(was_training)
    return logits


def _accuracy(model: torch.nn.Module, tokenizer, examples: list[Example]) -> float:
    """Return the fraction of `examples` whose label the model predicts."""
    if not examples:
        return float("nan")
    predictions = _predict(model, tokenizer, [text for text, _ in examples]).argmax(-1)
    return float((predictions == torch.tensor([label for _, label in examples])).float().mean())


def _batch_stream(tokenizer, train: list[Example], seed: int) -> Iterator[dict[str, torch.Tensor]]:
    """Yield full training batches forever, reshuffling each epoch with a dedicated seeded generator."""
    # A dedicated generator fixes the data order independently of how much global randomness dropout used.
    order = torch.Generator().manual_seed(seed)
    while True:
        permutation = torch.randperm(len(train), generator=order).tolist()
        for batch in _batches(tokenizer, [train[i] for i in permutation], BATCH_SIZE):
            if len(batch["labels"]) == BATCH_SIZE:  # drop the ragged last batch: every step sees one batch size
                yield batch


def _train(model: torch.nn.Module, tokenizer, train: list[Example], steps: int, seed: int) -> float:
    """Train the unfrozen parameters for `steps` batches; return the mean loss of the last 50 steps."""
    trainable = set(trainable_parameter_names(model))
    named = [(n, p) for n, p in model.named_parameters() if n in trainable]
    head = [p for n, p in named if n.startswith("classifier.")]
    body = [p for n, p in named if not n.startswith("classifier.")]
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(name in trainable)
    # The head starts from random and needs a larger step than the pretrained weights below it.
    optimizer = torch.optim.AdamW([{"params": body, "lr": LEARNING_RATE}, {"params": head, "lr": HEAD_LEARNING_RATE}],
                                  weight_decay=0.01)
    warmup = max(1, int(WARMUP_FRACTION * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup)))
    )
    batches = _batch_stream(tokenizer, train, seed)
    model.train()
    losses = []
    for _ in range(steps):
        loss = model(**next(batches)).loss
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
    model.eval()
    tail = losses[-50:]
    return sum(tail) / max(1, len(tail))


def _extract_delta(model: torch.nn.Module, base_dir: Path) -> dict[str, torch.Tensor]:
    """Return the state_dict entries that are new or differ from the base weights, and check they are the trained ones."""
    from safetensors.torch import load_file

    base = {"bert." + key: value for key, value in load_file(base_dir / "model.safetensors").items()}
    state = model.state_dict()
    delta = {key: value.detach().clone().contiguous() for key, value in state.items()
             if key not in base or not torch.equal(value, base[key])}
    expected = set(trainable_parameter_names(model))
    if set(delta) != expected:
        raise AssertionError(f"delta keys differ from the trained parameters: "
                             f"{sorted(set(delta) ^ expected)[:10]}")
    return dict(sorted(delta.items()))


def _write_readme(out_dir: Path, metrics: dict) -> None:
    """Write the model card README.md from the build's metrics."""
    rows = "\n".join(
        f"| {'✓' if row['correct'] else '✗'} | {row['text'].replace('|', '/')} | {row['label']} | {row['predicted']} "
        f"| {row['p_positive']:.3f} |"
        for row in metrics["natural_predictions"]
    )
    misses = [row for row in metrics["natural_predictions"] if not row["correct"]]
    miss_text = ("None." if not misses else
                 "; ".join(f"\"{row['text']}\" ({row['label']}, predicted {row['predicted']})" for row in misses))
    trained_list = ", ".join(f"`{prefix}*`" for prefix in TRAINED_PREFIXES)
    text = f"""# sentiment: MiniLM fine-tuned for NEGATIVE/POSITIVE

The book's stand-in for `distilbert-base-uncased-finetuned-sst-2-english`: a
`BertForSequenceClassification` (`id2label = {{0: "NEGATIVE", 1: "POSITIVE"}}`) built from the
hash-verified `minilm` checkpoint (all-MiniLM-L6-v2) by `scripts/ckpt_sentiment.py`, trained on
sentences that script generates. It is small enough to rebuild on a laptop CPU in minutes.

## What ships here

| file | what |
|---|---|
| `config.json` | the fine-tuned model's config (`BertForSequenceClassification`, 2 labels) |
| `delta.safetensors` | only the tensors that differ from `minilm`, named as in the full model's `state_dict` |
| `delta.json` | the base (`minilm`), the key prefix (`bert.`) and the sha256 of the assembled `model.safetensors` |

`structapi.checkpoint("sentiment")` overlays the delta on the verified base weights on first use,
copies the base tokenizer, checks the sha256 and caches the result; the directory it returns loads
with `AutoModelForSequenceClassification`, `AutoTokenizer` and `pipeline("text-classification")`.

## Training data

All training text is generated by `generate_dataset()` in `scripts/ckpt_sentiment.py`: {len(TEMPLATES)}
template families (some weighted twice) x {sum(len(v) for v in SUBJECTS.values())} subjects in {len(SUBJECTS)} topics
({", ".join(SUBJECTS)}) x positive/negative phrases. The families cover plain adjectives with intensifiers, negation that flips
polarity ("was not good" is NEGATIVE, "was never disappointing" / "is hardly boring" are POSITIVE),
love/hate verbs (also negated: "I don't like", "I never get tired of"), anticipation (eager waiting is
POSITIVE, being kept waiting for a refund is NEGATIVE), exclamations, questions ("Could it be any
worse?"), recommendations, effects on the writer, comparisons, problems fixed (POSITIVE) or caused
(NEGATIVE), topic-specific events without sentiment adjectives ("broke within a week", "explained
everything clearly"), two-fact sentences with a short verdict ("Never again.") and contrasts where
the clause after "but" decides. Labels alternate, so both splits are exactly balanced.

- train: {metrics['train_examples']} distinct sentences; {metrics['steps']} steps of batch {BATCH_SIZE}
  ({metrics['steps'] * BATCH_SIZE / metrics['train_examples']:.1f} epochs)
- generated held-out: {metrics['held_out_examples']} sentences whose subjects (the last
  {HELD_OUT_SUBJECTS} of each topic) and sentiment adjectives (the last {HELD_OUT_ADJ} of each list) never occur
  in training
- natural held-out: {len(NATURAL_HELD_OUT)} hand-written sentences (`NATURAL_HELD_OUT`, balanced), not produced by
  the generator and not in its templates' shapes; the generator refuses to emit any of them. The
  anticipation family deliberately avoids the "waiting for ... my whole life" frame of the first one.

## What is trained, and why

Trained: {trained_list}{", and every bias and LayerNorm parameter of the embeddings and layers 0-4 (BitFit)" if TRAIN_BIASES_AND_NORMS else ""};
everything else (all embedding tables and the weight matrices of layers 0-4) is frozen at the base weights.
{metrics['trained_parameters']:,} of {metrics['total_parameters']:,} parameters
({100 * metrics['trained_parameters'] / metrics['total_parameters']:.1f}%) in {metrics['delta_tensors']} tensors;
`delta.safetensors` is {metrics['delta_bytes']:,} bytes (float32, so the assembled weights are exact).

Why this subset: the top encoder layer is the cheapest place where the whole sentence can be re-read
with attention, so negation and "but" clauses can change the verdict; the pooler (a dense layer on
`[CLS]`, pretrained for next-sentence prediction and never used by sentence-transformers) must be
re-purposed, and the classifier is new. A second encoder layer would add another 7 MB and break the
8 MB budget; training only the head and pooler leaves `[CLS]` without a sentence-level summary
(all-MiniLM-L6-v2 was trained with mean pooling), which costs accuracy on negation. The biases and
LayerNorms of the lower layers (about 26k parameters, 0.1 MB) let those layers shift their features
a little: in the runs that chose this recipe (400 steps) adding them raised the generated held-out
accuracy from about 0.92 to 0.96, at roughly twice the compute per step, since the backward pass now
reaches the embeddings. An "LP-FT" variant (train the head alone first, then the rest) was tried and
was worse. The generated held-out split was the validation set for these choices.

Hyperparameters: AdamW (weight decay 0.01), lr {LEARNING_RATE:g} for everything trained except the new head,
{HEAD_LEARNING_RATE:g} for the head, {int(WARMUP_FRACTION * 100)}% linear warm-up then linear decay, dropout as in the
base config, max length 64, seed {metrics['seed']}, data order from a seeded `torch.Generator`.

## Results

- generated held-out accuracy: **{metrics['held_out_accuracy']:.3f}** ({metrics['held_out_examples']} sentences)
- natural held-out accuracy: **{metrics['natural_accuracy']:.3f}** ({metrics['natural_correct']}/{len(NATURAL_HELD_OUT)})
- misclassified natural sentences: {miss_text}
- training loss (mean of the last 50 steps): {metrics['final_loss']:.4f}
- build time: {metrics['train_seconds']:.0f} s of training, {metrics['build_seconds']:.0f} s in all, with
  {metrics['threads']} torch threads on a 2-core machine shared with other training jobs (load average
  4-7), with `OMP_WAIT_POLICY=PASSIVE`; alone it is faster

| ok | sentence | label | predicted | P(POSITIVE) |
|---|---|---|---|---|
{rows}

## Rebuild

```bash
python scripts/build_checkpoints.py sentiment            # or: python scripts/ckpt_sentiment.py
```

At a fixed `--threads` (and the pinned torch/transformers versions, on the same kind of CPU) the
rebuild is bit-identical (`delta.safetensors`, `delta.json`, `config.json`; this README also records
the build time); a different thread count changes the floating-point reduction order and therefore
the weights and the hash. On a busy machine, `OMP_WAIT_POLICY=PASSIVE` makes the OpenMP threads sleep
instead of spin while they wait, which was 3-5x faster under contention and does not change the result. The build also assembles the delta into a temporary directory and asserts that the
assembled model's logits equal the in-memory trained model's, which proves the delta is complete.

## Limitations

- Trained only on short, generated English sentences: long reviews, sarcasm ("Oh great, another
  delay"), mixed or neutral statements and domain jargon are outside what it has seen. It always
  answers NEGATIVE or POSITIVE, even for a neutral sentence.
- The natural held-out set is {len(NATURAL_HELD_OUT)} sentences written by the same project that wrote the
  generator, so its accuracy is an encouraging sign, not a benchmark; do not compare it with SST-2 numbers.
  It was not used to fit anything, but it was looked at during development: the "problems fixed",
  comparison and two-fact families and a few person behaviours were added after early runs
  missed sentences of those kinds (none of its sentences or their wording were added). Idioms ("I
  wouldn't wish it on my worst enemy") and world knowledge (boots that keep feet dry are good boots)
  remain weak, and some answers are near 0.5: at {len(NATURAL_HELD_OUT)} sentences one answer is 3.3 points.
- Inputs are truncated at 64 tokens in training; the model accepts 512.
- A teaching checkpoint: not for decisions about people.
"""
    (out_dir / "README.md").write_text(text)


def build(out_dir: Path, *, steps: int | None = None, threads: int = 2, seed: int = 0) -> dict:
    """Train, write config.json + delta.safetensors + delta.json + README.md into out_dir, verify, return metrics."""
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, BertForSequenceClassification

    started = time.perf_counter()
    out_dir = Path(out_dir)
    full_run = steps is None
    steps = FULL_STEPS if full_run else int(steps)
    if steps < 1:
        raise ValueError(f"steps must be positive, got {steps}")
    seed_everything(seed, threads)
    base_dir = Path(checkpoint("minilm"))
    # A short run needs only the data its few steps will touch, which keeps the determinism test fast.
    train_size = TRAIN_SIZE if full_run else min(TRAIN_SIZE, max(4 * BATCH_SIZE, steps * BATCH_SIZE))
    held_out_size = HELD_OUT_SIZE if full_run else 16
    train, held_out = generate_dataset(seed, train_size, held_out_size)

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    model = _load_fresh_model(base_dir)
    train_start = time.perf_counter()
    final_loss = _train(model, tokenizer, train, steps, seed)
    train_seconds = time.perf_counter() - train_start

    delta = _extract_delta(model, base_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.config.architectures = ["BertForSequenceClassification"]
    model.config.save_pretrained(out_dir)
    save_file(delta, out_dir / "delta.safetensors", metadata={"format": "pt"})
    (out_dir / "delta.safetensors").chmod(0o644)  # safetensors writes 0600; the file ships to every reader
    delta_bytes = (out_dir / "delta.safetensors").stat().st_size
    if delta_bytes > DELTA_MAX_BYTES:
        raise AssertionError(f"delta.safetensors is {delta_bytes:,} bytes, over the {DELTA_MAX_BYTES:,} budget")

    with tempfile.TemporaryDirectory(prefix="sentiment-assembled-") as tmp:
        assembled = assemble_delta(base_dir, out_dir, Path(tmp), prefix="bert.")
        assembled_sha256 = sha256_of(assembled / "model.safetensors")
        reloaded, info = BertForSequenceClassification.from_pretrained(assembled, output_loading_info=True)
        if info["missing_keys"] or info["unexpected_keys"]:
            raise AssertionError(f"the assembled checkpoint does not match the model: {info}")
        # Same weights, same code, same threads: the assembled model must reproduce the trained logits.
        probe = [text for text, _ in NATURAL_HELD_OUT] + [text for text, _ in held_out[:32]]
        torch.testing.assert_close(_predict(reloaded, tokenizer, probe), _predict(model, tokenizer, probe),
                                   rtol=0, atol=1e-6)
        if reloaded.config.id2label != ID2LABEL:
            raise AssertionError(f"config.json lost the labels: {reloaded.config.id2label}")
        scores = _scores(reloaded, tokenizer, held_out)
    manifest = {"base": "minilm", "prefix": "bert.", "assembled_sha256": assembled_sha256}
    (out_dir / "delta.json").write_text(json.dumps(manifest, indent=2) + "\n")

    metrics = {
        "steps": steps,
        "threads": threads,
        "seed": seed,
        "train_examples": len(train),
        "held_out_examples": len(held_out),
        "final_loss": round(final_loss, 4),
        "trained_parameters": sum(t.numel() for t in delta.values()),
        "total_parameters": sum(p.numel() for p in model.parameters()),
        "delta_tensors": len(delta),
        "delta_bytes": delta_bytes,
        "assembled_sha256": assembled_sha256,
        "train_seconds": round(train_seconds, 1),
        **scores,
    }
    metrics["build_seconds"] = round(time.perf_counter() - started, 1)
    _write_readme(out_dir, metrics)
    return metrics


def evaluate(ckpt_dir: Path, *, held_out: list[Example] | None = None, seed: int = 0) -> dict:
    """Return accuracy (and per-sentence predictions) on NATURAL_HELD_OUT and on the generated held-out split."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(ckpt_dir)
    model = AutoModelForSequenceClassification.from_pretrained(ckpt_dir).eval()
    if held_out is None:
        held_out = generate_dataset(seed, train_size=0)[1]
    return _scores(model, tokenizer, held_out)


def _scores(model: torch.nn.Module, tokenizer, held_out: list[Example]) -> dict:
    """Return the metrics of `evaluate` for a loaded model."""
    texts = [text for text, _ in NATURAL_HELD_OUT]
    probabilities = _predict(model, tokenizer, texts).softmax(-1)
    rows = [
        {"text": text, "label": ID2LABEL[label], "predicted": ID2LABEL[int(p.argmax())],
         "p_positive": round(float(p[POS]), 4), "correct": int(p.argmax()) == label}
        for (text, label), p in zip(NATURAL_HELD_OUT, probabilities)
    ]
    correct = sum(row["correct"] for row in rows)
    return {
        "natural_accuracy": round(correct / len(rows), 4),
        "natural_correct": correct,
        "natural_predictions": rows,
        "held_out_accuracy": round(_accuracy(model, tokenizer, held_out), 4),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: build the checkpoint (default into assets/checkpoints/sentiment) and print its metrics."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--steps", type=int, default=None, help="train for this many steps only (a short run)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads; results are bit-identical per count")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    metrics = build(args.out, steps=args.steps, threads=args.threads, seed=args.seed)
    summary = {key: value for key, value in metrics.items() if key != "natural_predictions"}
    print(json.dumps(summary, indent=2))
    for row in metrics["natural_predictions"]:
        print(f"{'ok ' if row['correct'] else 'BAD'} {row['p_positive']:.3f} {row['label']:<8} {row['text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
