"""A small synthetic English->German grammar: the training data of the `tiny-t5` catalog checkpoint.

Every English sentence has exactly one German translation, produced by the same code, so "exact match"
is a meaningful score. The rules covered:

* **Subject-verb agreement.** Each German verb carries five present-tense forms (ich, du, er/sie/es, wir,
  sie): ich liebe / du liebst / er liebt / wir lieben / sie lieben, including stem changes (du siehst,
  er liest, er isst, er trägt, er wäscht) and irregular ones (ich mag, er hat, ich weiß). English only marks
  the third person singular (loves, watches, studies, looks for).
* **Nominative and accusative case.** Subjects are nominative, direct objects accusative: only the
  masculine singular changes (der Hund sieht den Mann, ein Hund sieht einen Mann, mein Hund sieht meinen
  Mann); pronouns change too (ich -> mich, er -> ihn, wir -> uns ...).
* **Adjective endings.** Weak after the definite article (der große Hund, den großen Hund, die großen
  Hunde), mixed after ein/kein-words (ein großer Hund, einen großen Hund, ein großes Haus, meine großen
  Hunde), strong without an article (heißer Kaffee, heißen Kaffee, frisches Brot, große Hunde). One adjective per noun phrase; the stem of ``teuer`` loses its e (ein teures Auto).
* **Verb second after a fronted adverb.** "Today I love the dog." -> "Heute liebe ich den Hund."; the
  same inversion follows a fronted subordinate clause ("Because he sees the dog, I love the cat." ->
  "Weil er den Hund sieht, liebe ich die Katze.").
* **Verb-final subordinate clauses** with dass / weil / obwohl: "..., because he sees the dog" ->
  "..., weil er den Hund sieht". ``dass`` clauses hang off know/think/hope/say/believe, whose German
  verbs (wissen, denken, ...) differ from transitive "know" (kennen).
* **Semantic selection.** Verbs and adjectives only combine with nouns whose tags fit (people read
  books, nobody eats a lamp, coffee is hot but a horse is not), so the English stays natural.
* **Multi-word nouns** in English map to German compounds or fixed phrases (train station -> Bahnhof,
  birthday cake -> Geburtstagstorte, machine learning -> maschinelles Lernen, deep learning ->
  Deep Learning). Mass nouns (coffee, music, deep learning) take no indefinite article or plural.

German punctuation puts a comma before every subordinate clause; English only before "although" and
after a fronted clause. Sentences start with a capital letter and end with ".".

The sentence ``HELD_OUT_SENTENCE`` ("I love deep learning." -> "Ich liebe Deep Learning.") is generable
(subject "I", verb "love", the mass noun "deep learning") but the checkpoint's training data excludes it;
German keeps the English loan "Deep Learning" (neuter, no article), as German technical writing does.
"""

from __future__ import annotations

import functools
import hashlib
import random
from dataclasses import dataclass

__all__ = [
    "ADJECTIVES",
    "ADVERBS",
    "HELD_OUT_SENTENCE",
    "NOUNS",
    "VERBS",
    "THAT_VERBS",
    "Adjective",
    "Noun",
    "Verb",
    "Clause",
    "Phrase",
    "adjective",
    "adjective_ending",
    "is_held_out",
    "noun",
    "noun_phrase",
    "pairs",
    "pronoun",
    "render_adverb",
    "render_fronted",
    "render_simple",
    "render_subordinate",
    "render_that",
    "sentence",
    "split_pairs",
    "verb",
]

HELD_OUT_SENTENCE: tuple[str, str] = ("I love deep learning.", "Ich liebe Deep Learning.")

# Person/number slots shared by the pronoun and verb tables: 0 ich, 1 du, 2 er/sie/es, 3 wir, 4 sie (plural).
FIRST_SG, SECOND_SG, THIRD_SG, FIRST_PL, THIRD_PL = range(5)


@dataclass(frozen=True)
class Noun:
    """A noun with its English and German singular/plural, German gender and semantic tags."""

    en: str
    de: str
    gender: str  # "m", "f" or "n"
    tags: frozenset[str]
    en_pl: str | None = None  # None: a mass noun (no plural, no indefinite article)
    de_pl: str | None = None

    @property
    def mass(self) -> bool:
        """Whether the noun is uncountable."""
        return self.en_pl is None


@dataclass(frozen=True)
class Verb:
    """A verb: English base/3sg forms, the five German present forms, and what it selects."""

    en: str
    en_3sg: str
    de: tuple[str, str, str, str, str]
    subject_tags: frozenset[str]
    object_tags: frozenset[str]


@dataclass(frozen=True)
class Adjective:
    """An attributive adjective: English form, German stem (ending added by case/gender/article) and tags."""

    en: str
    de_stem: str
    tags: frozenset[str]


def _tags(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _count(en: str, en_pl: str, de: str, de_pl: str, gender: str, tags: str) -> Noun:
    return Noun(en, de, gender, _tags(tags), en_pl, de_pl)


def _mass(en: str, de: str, gender: str, tags: str) -> Noun:
    return Noun(en, de, gender, _tags(tags))


NOUNS: tuple[Noun, ...] = (
    # people ("relation": fits "I have a ...", "a new ...", "a good ...")
    _count("man", "men", "Mann", "Männer", "m", "person animate"),
    _count("woman", "women", "Frau", "Frauen", "f", "person animate"),
    _count("child", "children", "Kind", "Kinder", "n", "person animate relation washable portable"),
    _count("teacher", "teachers", "Lehrer", "Lehrer", "m", "person animate relation"),
    _count("friend", "friends", "Freund", "Freunde", "m", "person animate relation"),
    _count("girl", "girls", "Mädchen", "Mädchen", "n", "person animate"),
    _count("doctor", "doctors", "Arzt", "Ärzte", "m", "person animate relation"),
    _count("sister", "sisters", "Schwester", "Schwestern", "f", "person animate relation"),
    _count("brother", "brothers", "Bruder", "Brüder", "m", "person animate relation"),
    _count("father", "fathers", "Vater", "Väter", "m", "person animate relation"),
    # animals
    _count("dog", "dogs", "Hund", "Hunde", "m", "animal animate washable portable pet"),
    _count("cat", "cats", "Katze", "Katzen", "f", "animal animate washable portable pet"),
    _count("horse", "horses", "Pferd", "Pferde", "n", "animal animate washable pet fast"),
    _count("bird", "birds", "Vogel", "Vögel", "m", "animal animate audible pet"),
    _count("mouse", "mice", "Maus", "Mäuse", "f", "animal animate portable pet"),
    # countable food
    _count("apple", "apples", "Apfel", "Äpfel", "m", "food countable_food portable colorful sweet"),
    _count("cake", "cakes", "Kuchen", "Kuchen", "m", "food countable_food portable sweet"),
    _count("banana", "bananas", "Banane", "Bananen", "f", "food countable_food portable sweet"),
    _count("egg", "eggs", "Ei", "Eier", "n", "food countable_food portable"),
    _count("birthday cake", "birthday cakes", "Geburtstagstorte", "Geburtstagstorten", "f",
           "food countable_food portable sweet"),
    # mass food and drink
    _mass("bread", "Brot", "n", "food mass_food"),
    _mass("ice cream", "Eis", "n", "food mass_food sweet cold"),
    _mass("cheese", "Käse", "m", "food mass_food"),
    _mass("soup", "Suppe", "f", "food mass_food hot cold"),
    _mass("coffee", "Kaffee", "m", "drink hot cold sweet"),
    _mass("water", "Wasser", "n", "drink hot cold"),
    _mass("tea", "Tee", "m", "drink hot cold sweet"),
    _mass("milk", "Milch", "f", "drink hot cold"),
    _mass("orange juice", "Orangensaft", "m", "drink cold"),
    # things
    _count("car", "cars", "Auto", "Autos", "n", "thing vehicle washable colorful fast"),
    _count("bicycle", "bicycles", "Fahrrad", "Fahrräder", "n", "thing vehicle washable colorful fast"),
    _count("table", "tables", "Tisch", "Tische", "m", "thing furniture washable"),
    _count("chair", "chairs", "Stuhl", "Stühle", "m", "thing furniture washable portable colorful"),
    _count("lamp", "lamps", "Lampe", "Lampen", "f", "thing furniture portable colorful"),
    _count("umbrella", "umbrellas", "Regenschirm", "Regenschirme", "m", "thing portable colorful"),
    _count("computer", "computers", "Computer", "Computer", "m", "thing gadget portable fast"),
    _count("mobile phone", "mobile phones", "Handy", "Handys", "n", "thing gadget portable fast"),
    _count("ball", "balls", "Ball", "Bälle", "m", "thing toy washable portable colorful"),
    _count("flower", "flowers", "Blume", "Blumen", "f", "thing plant portable colorful"),
    _count("picture", "pictures", "Bild", "Bilder", "n", "thing art portable famous"),
    _count("key", "keys", "Schlüssel", "Schlüssel", "m", "thing portable"),
    _count("coffee cup", "coffee cups", "Kaffeetasse", "Kaffeetassen", "f", "thing washable portable colorful"),
    # things to read
    _count("book", "books", "Buch", "Bücher", "n", "readable portable colorful famous"),
    _count("letter", "letters", "Brief", "Briefe", "m", "readable portable"),
    _count("newspaper", "newspapers", "Zeitung", "Zeitungen", "f", "readable portable"),
    # places
    _count("house", "houses", "Haus", "Häuser", "n", "place property colorful"),
    _count("city", "cities", "Stadt", "Städte", "f", "place visitable famous"),
    _count("garden", "gardens", "Garten", "Gärten", "m", "place property visitable"),
    _count("school", "schools", "Schule", "Schulen", "f", "place visitable"),
    _count("train station", "train stations", "Bahnhof", "Bahnhöfe", "m", "place"),
    _count("living room", "living rooms", "Wohnzimmer", "Wohnzimmer", "n", "place property"),
    _count("museum", "museums", "Museum", "Museen", "n", "place visitable famous"),
    _count("church", "churches", "Kirche", "Kirchen", "f", "place visitable famous"),
    _count("park", "parks", "Park", "Parks", "m", "place visitable famous"),
    _count("swimming pool", "swimming pools", "Schwimmbad", "Schwimmbäder", "n", "place visitable"),
    # fields of study (mass, never with an adjective or article)
    _mass("deep learning", "Deep Learning", "n", "field"),
    _mass("machine learning", "maschinelles Lernen", "n", "field"),
    _mass("computer science", "Informatik", "f", "field"),
    _mass("music", "Musik", "f", "field audible"),
    _mass("mathematics", "Mathematik", "f", "field"),
)


def _verb(en: str, en_3sg: str, de: str, subjects: str, objects: str) -> Verb:
    forms = tuple(de.split())
    assert len(forms) == 5, de
    return Verb(en, en_3sg, forms, _tags(subjects), _tags(objects))  # type: ignore[arg-type]


_ANY_OBJECT = "person animal food drink thing readable place field"
VERBS: tuple[Verb, ...] = (
    _verb("love", "loves", "liebe liebst liebt lieben lieben", "animate", _ANY_OBJECT),
    _verb("like", "likes", "mag magst mag mögen mögen", "animate", _ANY_OBJECT),
    _verb("see", "sees", "sehe siehst sieht sehen sehen", "animate", "person animal food thing readable place"),
    _verb("hear", "hears", "höre hörst hört hören hören", "animate", "person audible pet"),
    _verb("have", "has", "habe hast hat haben haben", "person", "relation pet food drink thing readable property"),
    _verb("need", "needs", "brauche brauchst braucht brauchen brauchen", "person",
          "relation food drink thing readable"),
    _verb("find", "finds", "finde findest findet finden finden", "animate", "person animal thing readable place"),
    _verb("look for", "looks for", "suche suchst sucht suchen suchen", "animate",
          "person animal thing readable place"),
    _verb("buy", "buys", "kaufe kaufst kauft kaufen kaufen", "person", "pet food drink thing readable property"),
    _verb("eat", "eats", "esse isst isst essen essen", "animate", "food"),
    _verb("drink", "drinks", "trinke trinkst trinkt trinken trinken", "animate", "drink"),
    _verb("read", "reads", "lese liest liest lesen lesen", "person", "readable"),
    _verb("know", "knows", "kenne kennst kennt kennen kennen", "person", "person animal place readable"),
    _verb("visit", "visits", "besuche besuchst besucht besuchen besuchen", "person", "person visitable"),
    _verb("wash", "washes", "wasche wäschst wäscht waschen waschen", "person", "washable"),
    _verb("carry", "carries", "trage trägst trägt tragen tragen", "person", "portable"),
    _verb("study", "studies", "studiere studierst studiert studieren studieren", "person", "field"),
    _verb("paint", "paints", "male malst malt malen malen", "person", "person animal thing place"),
)

# Verbs that take a "that" clause; transitive "know" is kennen, "know that" is wissen.
THAT_VERBS: tuple[Verb, ...] = (
    _verb("know", "knows", "weiß weißt weiß wissen wissen", "person", ""),
    _verb("think", "thinks", "denke denkst denkt denken denken", "person", ""),
    _verb("hope", "hopes", "hoffe hoffst hofft hoffen hoffen", "person", ""),
    _verb("say", "says", "sage sagst sagt sagen sagen", "person", ""),
    _verb("believe", "believes", "glaube glaubst glaubt glauben glauben", "person", ""),
)


def _adj(en: str, de_stem: str, tags: str) -> Adjective:
    return Adjective(en, de_stem, _tags(tags))


_SIZED = "animal thing readable place countable_food"
ADJECTIVES: tuple[Adjective, ...] = (
    _adj("big", "groß", _SIZED),
    _adj("small", "klein", _SIZED),
    _adj("old", "alt", "person animal thing readable place"),
    _adj("young", "jung", "person animal"),
    _adj("new", "neu", "relation thing readable place"),
    _adj("red", "rot", "colorful"),
    _adj("beautiful", "schön", "person animal thing readable place"),
    _adj("famous", "berühmt", "person famous"),
    _adj("good", "gut", "relation food drink readable"),
    _adj("fresh", "frisch", "food drink"),
    _adj("hot", "heiß", "hot"),
    _adj("cold", "kalt", "cold"),
    _adj("expensive", "teur", "thing readable property"),  # teuer drops its e before an ending
    _adj("cheap", "billig", "thing readable"),
    _adj("fast", "schnell", "fast"),
    _adj("sweet", "süß", "sweet pet"),
    _adj("funny", "lustig", "person animal readable"),
    _adj("friendly", "freundlich", "person animal"),
)

ADVERBS: tuple[tuple[str, str], ...] = (
    ("Today", "Heute"),
    ("Tomorrow", "Morgen"),
    ("Now", "Jetzt"),
    ("Sometimes", "Manchmal"),
    ("Usually", "Normalerweise"),
    ("Of course", "Natürlich"),
    ("Every day", "Jeden Tag"),
    ("In the morning", "Am Morgen"),
    ("In the evening", "Am Abend"),
    ("On Sunday", "Am Sonntag"),
    ("On Monday", "Am Montag"),
)

# (English subject, English object, German nominative, German accusative, person slot)
PRONOUNS: tuple[tuple[str, str, str, str, int], ...] = (
    ("I", "me", "ich", "mich", FIRST_SG),
    ("you", "you", "du", "dich", SECOND_SG),
    ("he", "him", "er", "ihn", THIRD_SG),
    ("she", "her", "sie", "sie", THIRD_SG),
    ("it", "it", "es", "es", THIRD_SG),  # object only: an English "it" subject would need er/sie/es by noun
    ("we", "us", "wir", "uns", FIRST_PL),
    ("they", "them", "sie", "sie", THIRD_PL),
)
_SUBJECT_PRONOUNS = tuple(p for p in PRONOUNS if p[0] != "it")
# English possessive -> German ein-word stem (its endings follow ein: mein, meinen, meine)
POSSESSIVES: tuple[tuple[str, str], ...] = (("my", "mein"), ("your", "dein"), ("his", "sein"), ("her", "ihr"),
                                            ("our", "unser"))

SUBORDINATORS: tuple[tuple[str, str], ...] = (("because", "weil"), ("although", "obwohl"))

_DEFINITE = {("nom", "m"): "der", ("nom", "f"): "die", ("nom", "n"): "das",
             ("acc", "m"): "den", ("acc", "f"): "die", ("acc", "n"): "das"}
# ein-word endings; the bare stem (ein, mein) for masculine nominative and neuter
_EIN_ENDING = {("nom", "m"): "", ("nom", "f"): "e", ("nom", "n"): "",
               ("acc", "m"): "en", ("acc", "f"): "e", ("acc", "n"): ""}
# Strong endings (no article) equal the mixed ones after ein in nominative/accusative singular.
_STRONG_ENDING = {("nom", "m"): "er", ("nom", "f"): "e", ("nom", "n"): "es",
                  ("acc", "m"): "en", ("acc", "f"): "e", ("acc", "n"): "es"}
_WEAK_ENDING = {("nom", "m"): "e", ("nom", "f"): "e", ("nom", "n"): "e",
                ("acc", "m"): "en", ("acc", "f"): "e", ("acc", "n"): "e"}


@dataclass(frozen=True)
class Phrase:
    """A noun phrase in both languages, with the person slot that the verb must agree with."""

    en: str
    de: str
    person: int
    pronoun: str | None = None  # the English pronoun, to avoid "I love me"


def adjective_ending(kind: str, case: str, gender: str, plural: bool) -> str:
    """Return the German adjective ending for a determiner kind ('def', 'ein' or 'none')."""
    if plural:
        return "e" if kind == "none" else "en"
    if kind == "def":
        return _WEAK_ENDING[(case, gender)]
    if kind == "ein":
        return _STRONG_ENDING[(case, gender)] if _EIN_ENDING[(case, gender)] == "" else _WEAK_ENDING[(case, gender)]
    return _STRONG_ENDING[(case, gender)]


def _an(word: str) -> str:
    # The vocabulary avoids words whose spelling and sound disagree (hour, university), so spelling decides.
    return "an" if word[0] in "aeiou" else "a"


def noun_phrase(noun: Noun, case: str, *, det: str, adjective: Adjective | None = None,
                possessive: tuple[str, str] | None = None) -> Phrase:
    """Build a noun phrase; det is 'def', 'indef', 'poss', 'def_pl', 'poss_pl', 'bare_pl' or 'bare'."""
    plural = det.endswith("_pl")
    if plural and noun.mass:
        raise ValueError(f"{noun.en!r} is a mass noun and has no plural")
    if det == "indef" and noun.mass:
        raise ValueError(f"{noun.en!r} is a mass noun and takes no indefinite article")
    if det == "bare" and not noun.mass:
        raise ValueError(f"{noun.en!r} is countable: a bare singular is not English")
    en_noun = noun.en_pl if plural else noun.en
    de_noun = noun.de_pl if plural else noun.de
    kind = {"def": "def", "def_pl": "def", "indef": "ein", "poss": "ein", "poss_pl": "ein"}.get(det, "none")
    en_words: list[str] = []
    de_words: list[str] = []
    if det in ("def", "def_pl"):
        en_words.append("the")
        de_words.append("die" if plural else _DEFINITE[(case, noun.gender)])
    elif det == "indef":
        en_words.append(_an(adjective.en if adjective else noun.en))
        de_words.append("ein" + _EIN_ENDING[(case, noun.gender)])
    elif det in ("poss", "poss_pl"):
        assert possessive is not None
        en_words.append(possessive[0])
        de_words.append(possessive[1] + ("e" if plural else _EIN_ENDING[(case, noun.gender)]))
    if adjective is not None:
        en_words.append(adjective.en)
        de_words.append(adjective.de_stem + adjective_ending(kind, case, noun.gender, plural))
    en_words.append(en_noun)  # type: ignore[arg-type]
    de_words.append(de_noun)  # type: ignore[arg-type]
    return Phrase(" ".join(en_words), " ".join(de_words), THIRD_PL if plural else THIRD_SG)


@functools.lru_cache(maxsize=None)
def _nouns_with(tags: frozenset[str]) -> tuple[Noun, ...]:
    return tuple(n for n in NOUNS if n.tags & tags)


@functools.lru_cache(maxsize=None)
def _adjectives_for(noun: Noun) -> tuple[Adjective, ...]:
    return () if "field" in noun.tags else tuple(a for a in ADJECTIVES if a.tags & noun.tags)


def _pick_noun_phrase(rng: random.Random, tags: frozenset[str], case: str) -> Phrase:
    noun = rng.choice(_nouns_with(tags))
    if noun.mass:
        # fields are proper-name-like ("Ich studiere Informatik"); food and drink may take "the" or an adjective
        det = "bare" if "field" in noun.tags else rng.choice(("bare", "bare", "def"))
    else:
        det = rng.choice(("def", "def", "indef", "indef", "poss", "def_pl", "poss_pl", "bare_pl"))
    adjectives = _adjectives_for(noun)
    adjective = rng.choice(adjectives) if adjectives and rng.random() < 0.45 else None
    possessive = rng.choice(POSSESSIVES) if det.startswith("poss") else None
    return noun_phrase(noun, case, det=det, adjective=adjective, possessive=possessive)


def _pronoun(entry: tuple[str, str, str, str, int], case: str) -> Phrase:
    en_subj, en_obj, de_nom, de_acc, person = entry
    return Phrase(en_subj if case == "nom" else en_obj, de_nom if case == "nom" else de_acc, person, en_subj)


def _subject(rng: random.Random, verb: Verb) -> Phrase:
    if rng.random() < 0.5:
        return _pronoun(rng.choice(_SUBJECT_PRONOUNS), "nom")
    return _pick_noun_phrase(rng, verb.subject_tags, "nom")


# Pronoun pairs that would make a reflexive ("I love me"), which German would express with "mich selbst".
_REFLEXIVE = {("I", "I"), ("I", "we"), ("we", "I"), ("we", "we"), ("you", "you")}


def _object(rng: random.Random, verb: Verb, subject: Phrase) -> Phrase:
    if rng.random() < 0.12 and verb.object_tags & _tags("person animal thing pet readable"):
        choices = [p for p in PRONOUNS if (subject.pronoun, p[0]) not in _REFLEXIVE]
        return _pronoun(rng.choice(choices), "acc")
    return _pick_noun_phrase(rng, verb.object_tags, "acc")


@dataclass(frozen=True)
class Clause:
    """Subject, verb and object of one clause, ready to be linearised in any German word order."""

    subject: Phrase
    verb: Verb
    obj: Phrase | None = None

    def en(self) -> str:
        """English: always subject-verb-object."""
        verb = self.verb.en_3sg if self.subject.person == THIRD_SG else self.verb.en
        return " ".join(w for w in (self.subject.en, verb, self.obj.en if self.obj else "") if w)

    def de_verb(self) -> str:
        """The German verb form agreeing with the subject."""
        return self.verb.de[self.subject.person]

    def de_main(self) -> str:
        """German main clause: subject, verb (second), object."""
        return " ".join(w for w in (self.subject.de, self.de_verb(), self.obj.de if self.obj else "") if w)

    def de_inverted(self) -> str:
        """German main clause after a fronted element: verb, subject, object (the fronted part comes first)."""
        return " ".join(w for w in (self.de_verb(), self.subject.de, self.obj.de if self.obj else "") if w)

    def de_final(self) -> str:
        """German subordinate clause body: subject, object, verb last."""
        return " ".join(w for w in (self.subject.de, self.obj.de if self.obj else "", self.de_verb()) if w)


def clause(rng: random.Random, verbs: tuple[Verb, ...] = VERBS) -> Clause:
    """Draw a random subject-verb-object clause."""
    verb = rng.choice(verbs)
    subject = _subject(rng, verb)
    return Clause(subject, verb, _object(rng, verb, subject))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def render_simple(c: Clause) -> tuple[str, str]:
    """Plain main clause: "The dog sees the man." -> "Der Hund sieht den Mann." """
    return _cap(c.en()) + ".", _cap(c.de_main()) + "."


def render_adverb(adverb: tuple[str, str], c: Clause) -> tuple[str, str]:
    """Fronted adverb, verb second: "Today I love the dog." -> "Heute liebe ich den Hund." """
    return f"{adverb[0]} {c.en()}.", f"{adverb[1]} {c.de_inverted()}."


def _main_part(main: Clause, adverb: tuple[str, str] | None) -> tuple[str, str]:
    if adverb is None:
        return _cap(main.en()), _cap(main.de_main())
    return f"{adverb[0]} {main.en()}", f"{adverb[1]} {main.de_inverted()}"


def render_subordinate(main: Clause, conj: tuple[str, str], sub: Clause,
                       adverb: tuple[str, str] | None = None) -> tuple[str, str]:
    """Main clause + because/although clause, verb final: "..., weil er den Hund sieht." """
    en_main, de_main = _main_part(main, adverb)
    comma = "," if conj[0] == "although" else ""  # English sets off "although" clauses, not "because" ones
    return f"{en_main}{comma} {conj[0]} {sub.en()}.", f"{de_main}, {conj[1]} {sub.de_final()}."


def render_that(main: Clause, sub: Clause, adverb: tuple[str, str] | None = None) -> tuple[str, str]:
    """Know/think/hope/say/believe + that-clause: "Ich weiß, dass er den Hund sieht." """
    en_main, de_main = _main_part(main, adverb)
    return f"{en_main} that {sub.en()}.", f"{de_main}, dass {sub.de_final()}."


def render_fronted(conj: tuple[str, str], sub: Clause, main: Clause) -> tuple[str, str]:
    """Fronted subordinate clause; it fills the first position, so the main clause inverts."""
    return (f"{_cap(conj[0])} {sub.en()}, {main.en()}.",
            f"{_cap(conj[1])} {sub.de_final()}, {main.de_inverted()}.")


def sentence(rng: random.Random) -> tuple[str, str]:
    """Draw one (English, German) sentence pair from the grammar."""
    kind = rng.random()
    if kind < 0.28:
        return render_simple(clause(rng))
    if kind < 0.48:
        adverb = rng.choice(ADVERBS)
        return render_adverb(adverb, clause(rng))
    if kind < 0.72:
        main, sub = clause(rng), clause(rng)
        conj = rng.choice(SUBORDINATORS)
        return render_subordinate(main, conj, sub, rng.choice(ADVERBS) if rng.random() < 0.3 else None)
    if kind < 0.88:
        verb = rng.choice(THAT_VERBS)
        main = Clause(_subject(rng, verb), verb)
        sub = clause(rng)
        return render_that(main, sub, rng.choice(ADVERBS) if rng.random() < 0.25 else None)
    sub, main = clause(rng), clause(rng)
    conj = rng.choice(SUBORDINATORS)
    return render_fronted(conj, sub, main)


def noun(english: str) -> Noun:
    """Look a noun up by its English singular."""
    return next(n for n in NOUNS if n.en == english)


def verb(english: str, *, that: bool = False) -> Verb:
    """Look a verb up by its English base form (that=True: the that-clause verbs)."""
    return next(v for v in (THAT_VERBS if that else VERBS) if v.en == english)


def adjective(english: str) -> Adjective:
    """Look an adjective up by its English form."""
    return next(a for a in ADJECTIVES if a.en == english)


def pronoun(english: str, case: str = "nom") -> Phrase:
    """A personal pronoun phrase by its English subject form (I, you, he, she, it, we, they)."""
    return _pronoun(next(p for p in PRONOUNS if p[0] == english), case)


def pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """Return n distinct (English, German) pairs, drawn deterministically from `seed` (draw order kept)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    attempts = 0
    while len(out) < n:
        attempts += 1
        if attempts > 50 * n + 1000:
            raise RuntimeError(f"the grammar could not produce {n} distinct sentences")
        en, de = sentence(rng)
        if en not in seen:
            seen.add(en)
            out.append((en, de))
    return out


def is_held_out(english: str, every: int = 50) -> bool:
    """Hold-out rule: a sentence is held out when sha256(english) mod `every` is 0 (independent of draw order)."""
    digest = hashlib.sha256(english.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % every == 0


def split_pairs(data: list[tuple[str, str]], every: int = 50
                ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Split pairs into (train, held_out) by the hash rule; HELD_OUT_SENTENCE never goes to train."""
    train: list[tuple[str, str]] = []
    held: list[tuple[str, str]] = []
    for pair in data:
        if pair[0] == HELD_OUT_SENTENCE[0]:
            continue  # reported on its own by evaluate(), so it is in neither list
        (held if is_held_out(pair[0], every) else train).append(pair)
    return train, held


if __name__ == "__main__":
    for en, de in pairs(20, seed=1):
        print(f"{en}\n  -> {de}")
