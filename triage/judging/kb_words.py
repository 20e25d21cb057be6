"""The words of a question that say what it is about, and whether an article mentions them.

Retrieval by meaning finds the article closest to a question; these words tell
what the question names that the article never mentions ("my colleague's
password", "an iPad", "a webhook to delete"), in any language, inflection or
with a typo. Used by the knowledge base (``unmentioned``, shown to reviewers)
and by the answer matcher (the share of a question's words an article does not
mention is one of what the acceptance model reads).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher

# Words every question has ("how do I", "wie kann ich", "comment puis-je"): left out
# of question matching, so that what is asked about decides the match.
FUNCTION_WORDS = frozenset(
    """
    a an the to of in on for at by with from and or is are am be was were it its this that there
    i me my we our us you your he she they them do does did can could would should will shall may
    how what where when which who why whom please pls plz hi hello hey thanks thank need want like
    wanna gotta got have has had any some help know tell show see let im i'm id i'd ive i've
    get getting find check looking information info details assistance way possible able
    ich mein meine meinen mich wir unser du sie ihr wie was wo wann kann konnen können muss bitte
    der die das den dem des ein eine einen und oder ist sind zu mit fur für auf von im am es
    je j' mon ma mes nous notre vous votre comment quoi ou où quand puis-je peut-on est-ce que qui
    le la les l' un une des du de et ou est sont pour avec sur dans au aux ce cette il elle
    yo mi mis nosotros nuestro usted su como cómo que qué donde dónde cuando puedo puede
    el la los las un una unos unas y o es son para con en por al del lo se me hola gracias
    buenas buenos tardes días noches
    """.split()
)
_WORD = re.compile(r"[\w'-]+")


def content_words(text: str) -> str:
    """The words of a question that say what it is about."""
    return " ".join(w for w in _WORD.findall(text.lower()) if w not in FUNCTION_WORDS)


# Words that say how a question is asked, not what it is about ("quick question",
# "I was wondering", "ich möchte", "je voudrais", "necesito"): a question may use
# them without the article having to mention them.
ASKING_WORDS = frozenset(
    """
    question questions quick quickly urgent urgently asap really actually currently just only also too
    still again now today already all every each anything something someone somebody anyone else keep keeps
    about never support company business current currently
    button buttons menu screen tab section page setting settings new
    before after until since while during into onto than then if but because via per within
    wonder wondering wondered ask asking asked try trying tried hope hoping wish sure unsure
    explain understand figure guide instructions steps step process procedure option options
    kindly dear sir madam guys team folks ok okay yes no not don't dont doesn't doesnt didn't
    can't cant cannot won't isn't aren't wasn't exactly simply anyway thing things stuff etc
    use using used go going make making do doing done
    frage fragen kurze schnell dringend eigentlich gerne gern möchte möchten würde würden gibt geht
    habe hast hat haben hatte bin wird werden wurde soll sollte könnte könnten darf mir man nicht
    noch auch schon jetzt heute alle alles jede jeden jeder etwas jemand mal einfach genau
    vor nach bis seit während wenn ob aber aktuell neu neue neuen neuer neues
    existe faire fait peux pouvez voudrais voudrait souhaite souhaiterais aimerais besoin savoir
    rapide urgent merci bonjour svp moyen faut dois doit avez avoir être suis ai y pas ne se me moi
    en leur leurs nos vos ces son ses sa quel quelle quels quelles combien pourquoi encore aussi
    déjà toujours très tout tous toute toutes quelque chose quelqu'un
    avant après jusqu depuis pendant si mais actuel actuellement nouveau nouvelle nouveaux
    quiero quisiera necesito gustaría favor saber hay tengo tienen tiene hacer hago hace debo puedes pueden
    podría podrían cuál cuáles cuánto cuántos cuánta cuántas también todavía ya muy todo todos toda
    todas le les nos sus tu tus esto este esta estos estas ese esa eso está estoy ser estar soy
    pregunta rápida urgente ayuda ayudar no si sí algo alguien ahora hoy
    antes después hasta desde mientras pero actual actualmente nuevo nueva nuevos nuevas
    """.split()
)
# Words that narrow what is asked to a part ("only one project", "un solo proyecto"):
# the article must say something about that part, or it does not answer.
NARROWING_WORDS = frozenset(
    """
    one single specific individual particular selected partial
    einzeln einzelne einzelnes einzelnen bestimmte bestimmten bestimmtes
    seul seule unique spécifique spécifiques particulier particulière
    solo sola único única específico específica concreto concreta
    """.split()
)
_PREFACE = re.compile(r"^[^:?]{0,60}:\s+(?=\S)")
# "customer service", "customer support": a name for support, not a customer of the asker's.
_SUPPORT_NAME = re.compile(r"\b(?:customer|client)\s+(?=(?:service|services|support|care)\b)", re.IGNORECASE)
# The undoing of something: "disconnect", "deactivate", "désactiver", "desconecto".
_UNDOING = ("dis", "des", "de", "un")
_WORD_PARTS = re.compile(r"['’-]")
_DETERMINERS = frozenset(
    "a an any some ein eine einen einem irgendein irgendeine un une des du de la le les l' algun algún alguna una unos unas".split()
)
# A question whether something exists or is offered, in the languages the checks read.
_EXISTENCE = re.compile(
    r"[¿\s]*(?:is there|are there|do you (?:have|offer|sell|make|provide)|have you got"
    r"|gibt es|habt ihr|haben sie|bietet ihr|bieten sie"
    r"|y a-t-il|est-ce qu'il y a|existe-t-il|avez-vous|proposez-vous"
    r"|hay|existe|tienen|ten[eé]is|ofrecen)\b",
    re.IGNORECASE,
)
# A question whether something can be done ("can I ...", "kann ich ...", "peut-on ...",
# "¿puedo ...?"): yes or no depends on all of what follows, so an article that never
# mentions a word of it does not say ("take my complaint to an ombudsman").
_POSSIBILITY = re.compile(
    r"[¿\s]*(?:(?:can|could|may) (?:i|we)|is it possible|do you"
    r"|(?:kann|darf|k[öo]nnen|d[üu]rfen) (?:ich|wir|man)|ist es m[öo]glich"
    r"|peut-on|puis-je|pouvons-nous|est-il possible|est-ce possible"
    r"|puedo|podemos|se puede|es posible)\b",
    re.IGNORECASE,
)


def _unaccented(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


_SKIPPED = frozenset(_unaccented(w) for w in FUNCTION_WORDS | ASKING_WORDS)
_NARROWING = frozenset(_unaccented(w) for w in NARROWING_WORDS)


def terms(text: str) -> list[tuple[str, bool]]:
    """The words of ``text`` that name what it is about, each with whether it is
    written as a name (capitalised after the first word: "iPad", "Jira", "SMS").
    No function or asking words, no numbers (order numbers are references, not
    topics); unaccented, lower-case, compounds and elisions split ("zwei-faktor",
    "l'adresse")."""
    terms: dict[str, bool] = {}
    for position, match in enumerate(_WORD.finditer(text)):
        word = match.group()
        plain = _unaccented(word.lower())
        if plain in _SKIPPED:
            continue
        named = position > 0 and any(c.isupper() for c in word)
        for part in _WORD_PARTS.split(plain):
            if len(part) >= 3 and part not in _SKIPPED and not part.isdigit():
                terms[part] = terms.get(part, False) or named
    return list(terms.items())


def same_word(a: str, b: str) -> bool:
    """The same word, inflected or mistyped: "invitation(s)", "close/closing",
    "exporto/exportar", "addrtess/address"; not "connect/disconnect",
    "app/apple", "team/teammate" or "change/channel"."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) <= 4:
        return long.startswith(short) and long[len(short) :] in {"s", "es", "e", "n", "en"}
    common = next((i for i, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    slack = 1 if len(short) <= 6 else 2 if len(short) <= 8 else 3
    if common >= max(4, len(short) - slack):
        return True
    return common >= 4 and SequenceMatcher(None, short, long).ratio() >= 0.85


class Vocabulary:
    """Words, found again in any inflection or with a typo."""

    def __init__(self, words: Iterable[str]) -> None:
        self._by_start: dict[str, list[str]] = {}
        for word in set(words):
            self._by_start.setdefault(word[:3], []).append(word)

    def __contains__(self, word: str) -> bool:
        return any(same_word(word, w) for w in self._by_start.get(word[:3], ()))


def unmentioned(question: str, mentioned: Vocabulary, known: Vocabulary) -> list[str]:
    """The words of ``question`` naming something the article (``mentioned``) does
    not: a topic of the knowledge base (``known``) that this article leaves out
    ("delete" against the webhooks article, "ipad" against the browsers one), or
    a name no article gives ("Jira", "Apple Watch"). Other words it does not
    hold are taken as the customer's own way of asking, except in a question
    whether something exists ("is there a ...", "gibt es ...", "y a-t-il ...",
    "¿hay ...?") or can be done ("can I ...", "kann ich ...", "peut-on ...",
    "¿puedo ...?"): there every word names what is asked after, and an article
    that never mentions it does not say whether it exists or can be done."""
    asked = _SUPPORT_NAME.sub("", _PREFACE.sub("", question.strip()))  # "One more question: how do I ...?"
    sought = {t for t, _ in terms(_sought(asked))}
    return [
        t
        for t, named in terms(asked)
        if (t in sought or named or t in _NARROWING or is_subject(t, known)) and t not in mentioned
    ]


def _sought(question: str) -> str:
    """What a question whether something exists asks after: the words after "is
    there a" up to the first that is not part of the thing's name ("also a browser
    extension for ..." -> "browser extension"); all that follows "can I" in a
    question whether something can be done; "" for any other question."""
    possible = _POSSIBILITY.match(question)
    if possible is not None:
        return question[possible.end() :]
    found = _EXISTENCE.match(question)
    if found is None:
        return ""
    words: list[str] = []
    for word in _WORD.findall(question[found.end() :]):
        skipped = word.lower() in _DETERMINERS or _unaccented(word.lower()) in _SKIPPED
        if skipped and not words:
            continue  # "is there also a ...": how it is asked, before the thing's name
        if skipped or not word[0].isalnum():
            break
        words.append(word)
    return " ".join(words)


def is_subject(word: str, known: Vocabulary) -> bool:
    """A subject of the knowledge base, or its undoing ("disconnect": "connect")."""
    if word in known:
        return True
    return any(word.startswith(p) and len(word) - len(p) >= 5 and word[len(p) :] in known for p in _UNDOING)
