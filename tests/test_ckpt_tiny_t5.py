"""The tiny-t5 checkpoint: its grammar's rules, a bit-identical rebuild, and the shipped model's accuracy."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

import ckpt_tiny_t5
import german_grammar as g


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _svo(subject: g.Phrase, verb: str, obj: g.Phrase) -> g.Clause:
    return g.Clause(subject, g.verb(verb), obj)


def _the(noun: str, case: str, adjective: str | None = None) -> g.Phrase:
    return g.noun_phrase(g.noun(noun), case, det="def", adjective=g.adjective(adjective) if adjective else None)


def _a(noun: str, case: str, adjective: str | None = None) -> g.Phrase:
    return g.noun_phrase(g.noun(noun), case, det="indef", adjective=g.adjective(adjective) if adjective else None)


# ---------------------------------------------------------------- (c) grammar rules


@pytest.mark.parametrize(
    ("pronoun", "german"),
    [("I", "Ich liebe"), ("you", "Du liebst"), ("he", "Er liebt"), ("she", "Sie liebt"), ("we", "Wir lieben"),
     ("they", "Sie lieben")],
)
def test_subject_verb_agreement(pronoun: str, german: str) -> None:
    english, de = g.render_simple(_svo(g.pronoun(pronoun), "love", _the("dog", "acc")))
    assert de == f"{german} den Hund."
    assert english.split()[1] == ("loves" if pronoun in ("he", "she") else "love")


def test_agreement_with_stem_changes_and_noun_subjects() -> None:
    assert g.render_simple(_svo(g.pronoun("you"), "read", _the("book", "acc")))[1] == "Du liest das Buch."
    plural = g.noun_phrase(g.noun("child"), "nom", det="def_pl")
    assert g.render_simple(_svo(plural, "eat", _the("apple", "acc"))) == (
        "The children eat the apple.", "Die Kinder essen den Apfel.")
    assert g.render_simple(_svo(_the("man", "nom"), "carry", _the("ball", "acc")))[1] == "Der Mann trägt den Ball."


def test_accusative_changes_only_masculine_articles() -> None:
    assert g.render_simple(_svo(_the("dog", "nom"), "see", _the("man", "acc"))) == (
        "The dog sees the man.", "Der Hund sieht den Mann.")
    assert g.render_simple(_svo(_a("man", "nom"), "see", _a("dog", "acc")))[1] == "Ein Mann sieht einen Hund."
    assert g.render_simple(_svo(_the("cat", "nom"), "see", _the("woman", "acc")))[1] == "Die Katze sieht die Frau."
    assert g.render_simple(_svo(g.pronoun("I"), "see", g.pronoun("he", "acc"))) == ("I see him.", "Ich sehe ihn.")


@pytest.mark.parametrize(
    ("phrase", "german"),
    [
        (lambda: _the("dog", "nom", "big"), "der große Hund"),  # weak
        (lambda: _the("dog", "acc", "big"), "den großen Hund"),
        (lambda: _a("dog", "nom", "big"), "ein großer Hund"),  # mixed
        (lambda: _a("dog", "acc", "big"), "einen großen Hund"),
        (lambda: _a("house", "acc", "big"), "ein großes Haus"),
        (lambda: _a("car", "nom", "expensive"), "ein teures Auto"),
        (lambda: g.noun_phrase(g.noun("dog"), "acc", det="def_pl", adjective=g.adjective("big")), "die großen Hunde"),
        (lambda: g.noun_phrase(g.noun("dog"), "acc", det="bare_pl", adjective=g.adjective("big")), "große Hunde"),
        (lambda: g.noun_phrase(g.noun("coffee"), "acc", det="bare", adjective=g.adjective("hot")), "heißen Kaffee"),
        (lambda: g.noun_phrase(g.noun("bread"), "acc", det="bare", adjective=g.adjective("fresh")), "frisches Brot"),
        (lambda: g.noun_phrase(g.noun("cat"), "acc", det="poss", adjective=g.adjective("old"),
                               possessive=("my", "mein")), "meine alte Katze"),
        (lambda: g.noun_phrase(g.noun("friend"), "acc", det="poss", adjective=g.adjective("old"),
                               possessive=("our", "unser")), "unseren alten Freund"),
    ],
)
def test_adjective_endings(phrase, german: str) -> None:
    assert phrase().de == german


def test_english_articles() -> None:
    assert _a("apple", "acc").en == "an apple"
    assert _a("dog", "acc", "old").en == "an old dog"
    assert _a("umbrella", "acc", "red").en == "a red umbrella"


def test_fronted_adverb_inverts_subject_and_verb() -> None:
    clause = _svo(g.pronoun("I"), "love", _the("dog", "acc", "big"))
    assert g.render_adverb(("Today", "Heute"), clause) == ("Today I love the big dog.", "Heute liebe ich den großen Hund.")
    fronted = g.render_fronted(("because", "weil"), _svo(g.pronoun("he"), "see", _the("dog", "acc")),
                               _svo(g.pronoun("I"), "love", _the("cat", "acc")))
    assert fronted == ("Because he sees the dog, I love the cat.", "Weil er den Hund sieht, liebe ich die Katze.")


def test_subordinate_clauses_put_the_verb_last() -> None:
    main = _svo(g.pronoun("I"), "love", _the("cat", "acc"))
    sub = _svo(g.pronoun("he"), "see", _the("dog", "acc"))
    assert g.render_subordinate(main, ("because", "weil"), sub) == (
        "I love the cat because he sees the dog.", "Ich liebe die Katze, weil er den Hund sieht.")
    assert g.render_subordinate(main, ("although", "obwohl"), sub)[1] == "Ich liebe die Katze, obwohl er den Hund sieht."
    knows = g.Clause(g.pronoun("I"), g.verb("know", that=True))
    assert g.render_that(knows, sub) == ("I know that he sees the dog.", "Ich weiß, dass er den Hund sieht.")


def test_sampled_sentences_follow_the_rules() -> None:
    finite = {form for v in g.VERBS for form in v.de}
    data = g.pairs(3000, seed=7)
    assert data == g.pairs(3000, seed=7)  # deterministic
    assert len({en for en, _ in data}) == len(data)  # distinct
    n_sub = 0
    for en, de in data:
        for text in (en, de):
            assert text[0].isupper() and text.endswith(".") and "  " not in text
        # every weil/obwohl/dass clause ends with a finite verb
        for body in re.findall(r"\b(?:weil|obwohl|dass) ([^,.]+)", de):
            n_sub += 1
            assert body.split()[-1] in finite, (en, de)
        assert not re.search(r"\b(?:weil|obwohl|dass) ", de) or ", " in de
    assert n_sub > 1000


def test_held_out_sentence_is_generable_and_never_trained_on() -> None:
    english, german = g.HELD_OUT_SENTENCE
    deep_learning = g.noun_phrase(g.noun("deep learning"), "acc", det="bare")
    assert g.render_simple(_svo(g.pronoun("I"), "love", deep_learning)) == (english, german)
    # the sampler reaches it, and the split sends it to neither side
    pool = g.pairs(ckpt_tiny_t5.HParams().n_pairs, seed=0)
    assert english in {en for en, _ in pool}
    train, held = g.split_pairs(pool)
    assert english not in {en for en, _ in train} | {en for en, _ in held}
    assert not {en for en, _ in train} & {en for en, _ in held}
    assert len(held) >= 1000


# ---------------------------------------------------------------- (a) determinism


def test_short_builds_are_bit_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    ckpt_tiny_t5.build(first, steps=8, threads=2, seed=0, n_pairs=1500)
    ckpt_tiny_t5.build(second, steps=8, threads=2, seed=0, n_pairs=1500)
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        assert _sha256(first / name) == _sha256(second / name), name


# ---------------------------------------------------------------- (b) the shipped checkpoint


@pytest.fixture(scope="module")
def shipped() -> Path:
    from structapi import checkpoint

    path = checkpoint("tiny-t5")
    assert isinstance(path, Path)
    return path


def test_shipped_checkpoint_loads_and_translates(shipped: Path) -> None:
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(shipped)
    model = AutoModelForSeq2SeqLM.from_pretrained(shipped)
    assert type(tokenizer).__name__ in ("T5Tokenizer", "T5TokenizerFast")
    assert type(model).__name__ == "T5ForConditionalGeneration"
    assert 1_000_000 <= model.num_parameters() <= 3_000_000
    assert (shipped / "model.safetensors").stat().st_size <= 10 * 2**20
    ids = tokenizer(g.HELD_OUT_SENTENCE[0]).input_ids
    assert ids[-1] == tokenizer.eos_token_id == 1 and tokenizer.pad_token_id == 0 and tokenizer.unk_token_id == 2
    assert model.config.decoder_start_token_id == 0
    assert ckpt_tiny_t5.translate(model, tokenizer, [g.HELD_OUT_SENTENCE[0]]) == [g.HELD_OUT_SENTENCE[1]]


def test_shipped_checkpoint_exact_match(shipped: Path) -> None:
    metrics = ckpt_tiny_t5.evaluate(shipped)
    assert metrics["n_heldout"] >= 1000
    assert metrics["exact_match"] >= 0.99, metrics["errors"]
    assert metrics["held_out_correct"], metrics["held_out_translation"]
