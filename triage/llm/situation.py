"""The customer's situation: asking how to do something, or telling us that it failed?

A canned help-centre answer fits a question about how something works. It is
the wrong reply to a customer who reports that it did not work ("I reset my
password twice and the email never arrives, even in spam"), who writes for the
third time, who disputes a charge, whose account someone else got into, or whose
request carries legal weight (erase my personal data). Those are recognised here, in English, German, French and
Spanish (and the commonest phrases of Italian, Portuguese and Dutch), however
politely they are phrased, and each becomes a guard flag with the words that
raised it, so the reviewer sees why.

Sentence by sentence: a problem phrase inside a hypothetical question ("what
happens if a payment fails?", "que faire si le lien a expiré ?") is routine; the
same phrase in a statement ("the payment failed") is a report. Matching runs on
lower-cased text with accents removed, so the patterns below are written
without accents.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from triage.llm.text import clean_invisible, normalize_body, split_sentences
from triage.models import GuardFlag


class Situation(StrEnum):
    FAILURE = "failure"  # something failed, is missing, wrong, blocked or gone
    REPEAT = "repeat"  # a follow-up, a repeat contact, a fix that did not hold
    DISPUTE = "dispute"  # contests a charge, a statement or a decision
    PRIVACY = "privacy"  # a data-protection request: erasure, access, portability
    WITHDRAWAL = "withdrawal"  # the customer takes the question back: "never mind, I found it"
    TAKEOVER = "takeover"  # someone else got into the account: a how-to is the wrong reply


FLAG_OF: dict[Situation, GuardFlag] = {
    Situation.FAILURE: GuardFlag.PROBLEM_REPORT,
    Situation.REPEAT: GuardFlag.PROBLEM_REPORT,
    Situation.DISPUTE: GuardFlag.PROBLEM_REPORT,
    Situation.PRIVACY: GuardFlag.PRIVACY,
    Situation.WITHDRAWAL: GuardFlag.WITHDRAWN,
    Situation.TAKEOVER: GuardFlag.SECURITY,
}


@dataclass(frozen=True)
class Finding:
    situation: Situation
    evidence: str  # the words that raised it (letters, digits and spaces only)

    @property
    def flag(self) -> GuardFlag:
        return FLAG_OF[self.situation]

    def describe(self) -> str:
        return f'{self.situation.value}: "{self.evidence}"'


def _words(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


# ---- English ------------------------------------------------------------------------
_NOT = _words(
    r"(?:does|do|did|is|are|was|were|has|have|had|would|will|ca|could|should)\s?n[o']?t",
    r"can ?not",
    r"won'?t",
    r"never",
    r"no longer",
    r"not",
    r"unable to",
    r"failed to",
    r"fails to",
)
_OUTCOME = _words(
    r"work(?:s|ed|ing)?",
    r"arriv(?:e|ed|es|ing)",
    r"receiv(?:e|ed|ing)",
    r"c[oa]me(?: through)?",
    r"get(?:ting)?",
    r"got(?:ten)?",
    r"show(?:s|ed|n|ing)?(?: up)?",
    r"load(?:s|ed|ing)?",
    r"open(?:s|ed|ing)?",
    r"sav(?:e|ed|es|ing)",
    r"sync(?:s|ed|ing)?",
    r"send(?:s|ing)?",
    r"sent",
    r"go(?:es)? through",
    r"went through",
    r"appear(?:s|ed|ing)?",
    r"respond(?:s|ed|ing)?",
    r"connect(?:s|ed|ing)?",
    r"log(?:ged)? ?(?:me )?in(?:to)?",
    r"sign(?:ed)? ?(?:me )?in(?:to)?",
    r"access",
    r"accept(?:s|ed|ing)?",
    r"updat(?:e|ed|es|ing)",
    r"download(?:s|ed|ing)?",
    r"upload(?:s|ed|ing)?",
    r"print(?:s|ed|ing)?",
    r"deliver(?:ed|s|ing)?",
    r"match(?:es|ed)?",
    r"help(?:ed|s)?",
    r"fix(?:ed|es)?",
    r"solv(?:e|ed|es)",
    r"hold",
    r"held",
    r"start(?:s|ed)?",
    r"finish(?:es|ed)?",
    r"complet(?:e|ed|es)",
    r"go(?:ne)? away",
    r"stop(?:s|ped)?",
    r"let me",
    r"allow(?:s|ed)? me",
    r"recogni[sz](?:e|ed|es)",
    r"reflect(?:s|ed)?",
    r"process(?:ed)?",
    r"(?:been )?(?:charged|refunded|credited|cancell?ed|activated|applied|reset|changed|removed|deleted)",
    r"hear(?:d)? back",
    r"ship(?:ped)?",
    r"turn(?:s|ed)? on",
    r"boot(?:s|ed)?",
    r"display(?:s|ed)?",
    r"scan(?:s|ned|ning)?",
    r"play(?:s|ed|ing)?",
    r"render(?:s|ed|ing)?",
    r"install(?:s|ed|ing)?",
    r"launch(?:es|ed|ing)?",
    r"run(?:s|ning)?",
    r"verif(?:y|ied|ies)",
    r"validat(?:e|ed|es)",
    r"submit(?:s|ted)?",
    r"redirect(?:s|ed)?",
    r"refresh(?:es|ed)?",
    r"clickable",
    r"responsive",
    r"valid",
)
EN_FAILURE = [
    rf"\b{_NOT}\s+(?:\w+\s+){{0,3}}?{_OUTCOME}\b",
    r"\bnothing (?:happens|happened|changes|changed|arrives|arrived|came|comes|shows|loads|works)\b",
    r"\bnone of (?:them|the \w+|my \w+) (?:arrived|came|worked|work|showed|loaded|went)\b",
    r"\bnone (?:\w+ )?(?:arrived|came through|worked|showed up|went through|got through|was delivered|were delivered)\b",
    r"\bstopped (?:\w+ing|working)\b|\bkeeps? (?:\w+ing)\b|\bkept (?:\w+ing)\b",
    r"\b(?:fails|failed|failing|failure|broken|crash(?:es|ed|ing)?|froze|frozen|freez(?:es|ing)|hangs)\b",
    r"\b(?:an?|the|same|this|that|get(?:ting)?|got|shows?|showing|gives?|giving|throws?) (?:\w+ )?errors?\b",
    r"\berror (?:message|code|page|\d+)\b|\b(?:40[0-4]|50[0-4])\b",
    r"\b(?:is|are|was|were|been|went|has gone|have gone|seems?|looks?) (?:\w+ )?(?:gone|missing|empty|blank|wrong|incorrect|invalid|stuck|locked|blocked|suspended|disabled|expired|duplicated|slow|down|greyed out|grayed out|dead|unreachable|unresponsive|inaccessible|unusable|frozen|offline|pending|in progress)\b",
    r"\bdead (?:link|page|button)s?\b|\b(?:goes|go|went|leads?|led) nowhere\b|\bno longer (?:valid|available|exists?|visible|accessible)\b",
    r"\b(?:disappeared|vanished|went missing|got lost|was lost|were lost|got deleted|was deleted|were deleted|wiped)\b",
    r"\blocked (?:me )?out\b|\bkicked (?:me )?out\b|\blogged (?:me )?out\b",
    r"\b(?:rejected|declined|bounced|denied|refused|times? out|timed out|spinning|stuck|expired)\b",
    r"\b(?:says|said|saying|tells me|told me|telling me|shows|showed|displays|displayed) (?:that )?(?:the |my )?(?:\w+ )?(?:is |was )?(?:invalid|expired|incorrect|wrong|not found|denied|unavailable)\b",
    r"\b(?:having|have|had|got|experiencing|facing|run into|ran into|encounter(?:ed|ing)?) (?:a |an |some |the |this |that |serious |major )?(?:problems?|issues?|trouble|difficult(?:y|ies)|bug|glitch)\b",
    r"\b(?:problems?|issues?|trouble) (?:with|logging|signing|loading|since|when|after)\b",
    r"\bthere (?:is|seems to be|appears to be) (?:a |an )?(?:bug|problem|issue|glitch|error)\b",
    r"\b(?:wrong|incorrect|duplicate|double) (?:amount|price|total|invoice|charge|item|address|data|order|number)s?\b",
    r"\bit says\b|\bit shows\b",
    # What the product said, quoted: 'a page that says "token already used"'.
    r"\b(?:page|screen|message|popup|pop-up|banner|window|dialog|notice|form|app|site) (?:that |which )?(?:just )?(?:says|said|saying|shows|showed|displays|displayed|reads|tells me|telling me)\b",
    r"\balready (?:been )?(?:used|registered|in use|taken|redeemed)\b|\b(?:logs|signs|kicks) (?:me|us) out\b",
    r"\b(?:has|have|had|contains?|contained|shows?|showed|gives?|gave|returns?|returned|includes?) only\b|\bonly (?:the )?(?:headers?|column names?)\b",
    r"\b(?:ca ?n[o']?t|can ?not|could ?n[o']?t|unable to|not able to)\s+\w+",
    r"\bonly (?:contains?|shows?|has|have|includes?|gives?|returns?|exported|imported|downloaded|displays?)\b|\bno \w+ at all\b",
    r"\b(?:401|403|429|502|503)\b|\bwithout (?:any |a )?(?:explanation|warning|notice|reason)\b",
    r"\byou (?:have |guys )?(?:closed|suspended|blocked|banned|deleted|cancell?ed|removed|terminated|disabled|locked)\b",
    r"\bnone of \w+(?: \w+)? (?:\w+ )?(?:arrived|came|got|received|worked|work|showed|loaded|went|can|could|has|have)\b",
    r"\b(?:no one|nobody|none of us) (?:\w+ )?(?:can|could|is able|got|received|has|have|gets)\b",
    r"\bwhy (?:does|do|did|is|are|was|were|has|have|would|won'?t|can'?t|is ?n'?t|does ?n'?t) (?:it|my|our|the|this|that|everything|nothing|all|every|i|we)\b|\bhow come\b|\bis there a reason (?:that|why|every|my|our|the)\b",
    r"\b(?:spins?|spinning|forever|cuts? off|truncated|weird|garbled|scrambled|corrupt(?:ed)?|mangled|messed up|leaked)\b",
    r"\b(?:blank|white|empty|black|grey|gray) (?:page|screen|file|pdf|sheet|window|box)\b|\bjust (?:shows|spins|hangs|loads|sits|says|closes|crashes)\b",
    r"\b(?:returns?|shows?|finds?|displays?|gives?|loads?) (?:me )?(?:nothing|no results|zero results|0 results)\b",
    r"\b(?:two|three|four|five|six|\d+) times\b|\bshows? up (?:twice|double|multiple)",
    # What the customer sees instead of the result: loops back, odd characters, throttling.
    r"\b(?:brings?|brought|takes?|took|sends?|sent|puts?|throws?|threw|kicks?|drops?|dropped|redirects?|goes|went|ends? up|ended up|lands?|landed)(?: me| us)? (?:right |straight |just )?back (?:to|on|at|in)\b|\b(?:in|into) an? (?:endless |infinite )?loop\b|\bloops? (?:back|forever|endlessly|around)\b|\b(?:keeps|kept|is|are|was) looping\b",
    r"\b(?:0|zero) (?:bytes?|kb|rows|results|items|lines|pages)\b",
    r"\b(?:strange|odd|weird|random|funny|broken|wrong) (?:characters|symbols|signs|letters)\b|\bgibberish\b|\b(?:throttled|rate[- ]limited)\b",
    r"\b(?:nobody|no one|no-one) (?:\w+ )?(?:came|showed up|turned up|answered|picked up|replied|responded|called back|got back)\b",
    # Someone else tells the customer it failed: "my colleague says the link is dead".
    r"\b(?:colleague|co-?worker|teammate|user|customer|client|boss|manager|employee|member|admin|staff)s? (?:\w+ )?(?:says|said|tells me|told me|reports?|reported|complains?|complained|noticed|let me know)\b(?! to\b)",
]
EN_REPEAT = [
    r"\b(?:second|third|fourth|fifth|2nd|3rd|4th|5th|\d+th|several|multiple|many) times?\b",
    r"\b(?:once more|yet again)\b",
    r"\bstill (?:\w+n'?t|\w+ not|not|no|\w+ing|the same|broken|missing|wrong|nothing|empty|locked|down|there|have|has|get|gets|see|shows)\b",
    r"\b(?:i|we) did (?:what|everything|all|that|this|exactly)\b",
    r"\b(?:already|previously) (?:\w+ )?(?:wrote|written|contacted|emailed|asked|reported|tried|did|done|followed|cleared|reset|checked|sent|opened|raised|called)\b",
    r"\bas i (?:said|mentioned|wrote|explained|told)\b|\bmy (?:last|previous|earlier|first) (?:email|e-mail|message|ticket|request|mail)\b",
    r"\b(?:any )?update on (?:my|the|this|our)\b|\bno (?:answer|reply|response|news)(?: yet| so far)?\b",
    r"\b(?:n[o']t|never) (?:heard|received|gotten|got) (?:back|a reply|an answer|a response|anything)\b",
    r"\b(?:ticket|case|reference) (?:#|number|no\b|id\b)|\bfollow(?:ing)?[- ]?up\b",
    r"\b(?:i|we) (?:have |'ve |had )(?:tried|followed|cleared|checked|restarted|reinstalled|reset|waited|re-?sent|resent|changed|updated)\b",
    r"\b(?:i|we) (?:tried|followed|cleared|checked|restarted|reinstalled|waited|re-?sent|resent)\b|\btwice\b",
    # An action the customer already took, then a contrast: "I installed it but it closes".
    r"\b(?:i|we) (?:\w+ )?(?:pressed|clicked|tapped|hit|selected|chose|entered|typed|confirmed|changed|installed|updated|upgraded|uploaded|submitted|paid|cancell?ed|deleted|removed|unsubscribed|enabled|disabled|turned|switched|gave|added|generated|created|rotated|set|did|made|sent|used(?! to)|verified)\b[^.;]{0,80}\b(?:but|yet|though|although|however|anyway|still|only to)\b",
    r"\b(?:even|also|not|nothing) in (?:the |my )?(?:spam|junk)\b|\b(?:checked|looked in|searched) (?:the |my )?(?:spam|junk)\b",
    r"\b(?:fix|workaround|solution|steps|instructions|article|suggestion|advice|update)s? (?:\w+ ){0,3}(?:did ?n[o']t|does ?n[o']t|do ?n[o']t|has ?n[o']t|have ?n[o']t|never)\b",
    r"\bsince (?:yesterday|this morning|today|last \w+|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d+ (?:days|hours|weeks))\b",
    r"\b(?:since|after) (?:the |your )?(?:last |latest |recent |new )?(?:update|upgrade|release|migration)\b|\bfor the (?:last|past) \w+ (?:hours|days|weeks)\b",
    r"\bfor (?:over |more than |almost |nearly )?(?:two|three|four|five|six|seven|eight|nine|ten|a few|several|many|\d+) (?:days|weeks|hours)\b|\bwaiting (?:for|since)\b",
    r"\b(?:has|have|had) (?:said|shown|displayed|been (?:saying|showing|stuck|sitting))\b",
]
EN_DISPUTE = [
    r"\b(?:never|did ?n[o']t|did not|have ?n[o']t) (?:order|ordered|authori[sz]e|authori[sz]ed|sign(?:ed)? up|agree|agreed|subscribe|subscribed|buy|bought|make this|use|used|request|requested|asked for|upgrade|upgraded|renew|renewed|approve|approved)\b",
    r"\b(?:i'm|i am|we're|we are|now|being|got) (?:\w+ )?(?:charged|billed)\b|\b(?:definitely|certainly) (?:did ?n[o']t|not)\b",
    r"\b(?:agent|colleague|representative|rep|support|sales|team|someone) (?:\w+ )?(?:said|told|promised|confirmed|assured)\b(?! (?:me|us) to\b)",
    r"\byour (?:reply|email|message|answer|response|agent|invoice|bill|website|site) (?:\w+ )?(?:says|said|claims|claimed|states|stated)\b",
    r"\b(?:i|we) (?:was|were|have been|got|'ve been|'ve been) (?:\w+ )?(?:charged|billed|debited|invoiced)\b",
    r"\bcharged (?:me|us|twice|again|for|after|even|although|despite|without|my card)\b",
    r"\bafter (?:i |we )?(?:cancel(?:l?ed|l?ing)?|closing|downgrad(?:ed|ing))\b",
    r"\b(?:i|we) (?:\w+ )?cancell?ed\b[^.;?]{0,60}\b(?:charged?|billed|debited|renew(?:al|ed)|payment|invoiced?)\b",
    r"\b(?:received|got|see|saw|have|found|noticed) (?:a|an|another|two|this|that) (?:\w+ )?(?:charge|debit|payment|transaction)s? (?:from you|on my|today|yesterday|this|again|i)\b",
    r"\b(?:promised|you said|you told|was told|were told|supposed to)\b|\bnot what (?:i|we) (?:was|were|ordered|paid|agreed)\b",
    r"\bdispute|\bcontest|\boverch?arged|\bdouble[- ]?(?:charged|billed)|\bunfair\b|\bunauthori[sz]ed\b",
    r"\bwhy (?:was|were|did|have|has|am|is|are) (?:i|we|my|our|me|us)\b",
]
EN_HYPOTHETICAL = (
    r"\b(?:if|in case|what happens|what should|what do i do|what can i do|when|whether|should (?:a|the|my|an)|"
    r"suppose|how long|how often|is it possible|avoid|prevent|without|will (?:i|my|we|our|the|it|they)|would)\b"
)

# ---- German -----------------------------------------------------------------------
DE_FAILURE = [
    r"\bbleibt (?:\w+ ){0,3}(?:wei(?:ß|ss)|leer|schwarz|hangen|stehen)\b|\b(?:wei(?:ß|ss)e|leere|schwarze) (?:seite|bildschirm)\b",
    r"\b(?:funktioniert|geht|klappt|lauft|ladt|kommt|kam|oeffnet|offnet|startet|speichert|synchronisiert)\w* (?:\w+ )?(?:nicht|nie|kein)",
    r"\bnicht (?:\w+ )?(?:angekommen|erhalten|bekommen|moglich|funktioniert|geklappt|gespeichert|geladen|zugestellt|geliefert|gesendet|verschickt)\b",
    r"\b(?:nie|keine?n?) (?:\w+ )?(?:erhalten|bekommen|angekommen|e-?mail|mail|nachricht|antwort|code|rechnung|bestatigung|lieferung)\b",
    r"\bkann (?:mich |ich )?(?:\w+ )?(?:nicht|kein)\b|\b(?:fehler|fehlermeldung|absturz|sturzt ab|abgesturzt|hangt|haengt)\w*",
    r"\b(?:leer|verschwunden|weg|falsch|gesperrt|blockiert|abgelehnt|abgebucht|doppelt|kaputt|defekt|abgelaufen|ungultig|langsam)\b",
    r"\b(?:problem|probleme|schwierigkeiten)\b(?! melden)",
    r"\bpassiert (?:\w+ ){0,2}nichts\b|\bgar nichts\b|\bnicht (?:\w+ )?(?:akzeptiert|angenommen|erkannt)\b|\brechtliche schritte\b",
    r"\b(?:sturzt|sturzen|schliesst sich)\b|\bnichts (?:angekommen|passiert|geht|erhalten)\b|\b(?:angekommen|passiert) ist nichts\b",
    r"\bsie haben (?:\w+ ){0,3}(?:gesperrt|geloscht|gekundigt|geschlossen|deaktiviert)\b|\bohne (?:jede )?(?:erklarung|begrundung|vorwarnung)\b",
    r"\bnur (?:die )?(?:spalten)?(?:uberschrift|kopfzeile)\w*",
    r"\b(?:ewig|ewigkeiten|trage|traege|hangt sich auf)\b|\b(?:hat|hatte) aufgehort\b|\bhort (?:\w+ )?auf\b",
    r"\bsollte (?:\w+ ){0,4}(?:da sein|ankommen|angekommen sein|geliefert|eintreffen|kommen|sein)\b|\bhatten? (?:\w+ ){0,5}(?:ankommen|kommen|eintreffen|geliefert werden|zugestellt werden|da sein) sollen\b|\bseit (?:einer|einem|zwei|drei|vier|funf|\d+) (?:woche|tag|monat|stunde)\w*",
    r"\b(?:kollege|kollegin|kunde|kundin|nutzer|benutzer|mitarbeiter|chef)\w* (?:\w+ )?(?:sagt|meint|meldet|berichtet|schreibt|sagen|melden)\b",
]
DE_REPEAT = [
    r"\b(?:mehrmals|mehrfach|zweimal|dreimal)\b|\b(?:zweite|dritte|vierte|x-te|\d+\.) mal\b",
    r"\bzum (?:zweiten|dritten|vierten|x-ten|\d+\.?) mal\b|\b(?:bereits|schon) (?:\w+ )?(?:versucht|geschrieben|gemeldet|kontaktiert|gepruft|geloscht|zuruckgesetzt|probiert)\b",
    r"\bhabe (?:\w+ )?(?:versucht|probiert|gepruft|geloscht|neu gestartet|gewartet)\b|\bohne erfolg\b",
    r"\b(?:habe|haben|hab|hatte) (?:\w+ ){0,2}(?:bereits|schon) (?:\w+ ){0,2}(?:abgemeldet|gekundigt|bezahlt|bestatigt|geandert|aktualisiert|eingerichtet|storniert|angefordert|beantragt|eingegeben|geklickt|befolgt|gemacht|installiert|aktiviert|deaktiviert)\b",
    r"\bhat (?:\w+ )?nicht (?:funktioniert|geklappt|geholfen)\b|\bseit (?:gestern|heute|montag|dienstag|mittwoch|donnerstag|freitag|tagen|wochen)\b",
    r"\bseit (?:\w+ ){0,2}(?:update|aktualisierung|tagen|wochen|stunden)\b|\bmein(?:e|em)? (?:ticket|anfrage|vorgang)\b",
    r"\b(?:spam|junk)(?:ordner)? (?:\w+ )?(?:gepruft|kontrolliert|nachgesehen|geschaut)|\bauch nicht im spam|\bkeine antwort\b|\bticket ?(?:nr|nummer|#)",
]
DE_DISPUTE = [
    r"\bnie (?:\w+ )?(?:bestellt|autorisiert|abonniert|zugestimmt)\b|\b(?:trotz|nach) (?:der |meiner )?(?:kundigung|stornierung)\b",
    r"\b(?:wurde|wurden|bin|habe) (?:\w+ ){0,2}(?:belastet|abgebucht|berechnet)\b|\bzu viel berechnet\b|\bwiderspruch\b|\bversprochen\b",
    r"\bwarum (?:wurde|wurden|habe|hat|bin|ist mein|ist unser)\b|\bunberechtigt|\bnicht autorisiert",
    r"\b(?:belastet|abgebucht|berechnet|abgezogen|eingezogen) (?:worden )?(?:wurde|wurden|ist|sind|hat|haben)\b|\b(?:doppelte|zwei) (?:abbuchung|belastung|zahlung)\w*",
]
DE_HYPOTHETICAL = r"\b(?:wenn|falls|was passiert|was tun|was mache ich|was soll ich|wie lange|ob)\b"

# ---- French -----------------------------------------------------------------------
FR_FAILURE = [
    r"\bne (?:\w+ )?(?:fonctionne|marche|charge|s'ouvre|s'affiche|arrive|repond|demarre|se connecte|synchronise)\w* (?:pas|plus|jamais)\b",
    r"\breste (?:\w+ )?(?:blanche?|vide|bloquee?|figee?)\b|\bpage blanche\b",
    r"\b(?:aucune?s?|rien|personne) (?:d'(?:\w+ )|de (?:\w+ ){1,2})?n'(?:est|a|ont|sont|arrive|fonctionne|marche)\b",
    r"\b(?:pas|jamais|rien) (?:\w+ )?(?:recu|arrive|fonctionne|marche|enregistre|livre|envoye|charge)e?s?\b",
    r"\b(?:aucun|aucune) (?:\w+ )?(?:e-?mail|mail|message|code|reponse|facture|confirmation|colis|livraison)\b",
    r"\bn'(?:arrive|arrivent|ai|avons|est|a) (?:\w+ )?(?:pas|plus|jamais|rien)\b|\bimpossible d[e']\b|\bje ne (?:\w+ )?(?:peux|parviens|arrive) (?:\w+ )?(?:pas|plus)\b",
    r"\b(?:erreur|plantage|plante|bug|bloque|verrouille|vide|disparu|perdu|faux|fausse|incorrect|refuse|rejete|expire|lent|en panne)e?s?\b",
    r"\b(?:un |des )?(?:probleme|soucis?)\b(?! signaler)",
    r"\bque les en-tetes\b",
    r"\bne (?:me |se |nous |s'|m'|l')?(?:\w+) (?:plus|jamais) (?:rien|aucune?|personne)\b|\bne (?:\w+ )?(?:recoit|recoivent|recevons|recois|voit|vois|voyons|trouve|envoie|enregistre|sauvegarde|accepte|reconnait|telecharge|imprime|valide|passe|s'enregistre) (?:\w+ )?(?:pas|plus|jamais|rien|aucune?)\b",
    r"\bne (?:sont|est|sera|seront) (?:\w+ )?(?:pas|plus|jamais) (?:\w+ )?(?:accepte|valide|reconnu|pris|enregistre|envoye|recu|affiche|visible|livre|charge|applique|pris en compte)e?s?\b",
    r"\b(?:a|ont|avait) (?:cesse|arrete) de\b|\bdevai(?:t|ent) (?:\w+ )?(?:arriver|etre livree?s?|etre la)\b|\b(?:aurait|auraient|aurais) du (?:\w+ )?(?:etre|arriver|partir)\b|\b(?:collegue|client|utilisateur|responsable|chef)\w* (?:\w+ )?(?:me )?(?:dit|signale|indique|ecrit|rapporte)\b",
    r"\b(?:deux|trois|double)s? (?:prelevements?|debits?|paiements?|factures?|frais)\b",
    r"\bse ferme\b|\bvous avez (?:\w+ ){0,2}(?:ferme|suspendu|bloque|supprime|resilie|desactive)\b|\bsans (?:aucune )?(?:explication|raison|preavis)\b",
]
FR_REPEAT = [
    r"\b(?:plusieurs fois|une fois de plus)\b|\breste (?:\w+ )?(?:blanc|blanche|vide|bloquee?|figee?)\b|\bne se passe rien\b",
    r"\b(?:deuxieme|troisieme|quatrieme|\d+e) fois\b|\bdeja (?:\w+ )?(?:essaye|ecrit|fait|contacte|verifie|signale|envoye|vide|reinitialise)\b",
    r"\bj'ai (?:\w+ )?(?:essaye|suivi|vide|verifie|redemarre|reinstalle|attendu|relance)\b|\bsans (?:succes|resultat|reponse)\b",
    r"\bn'a (?:\w+ )?(?:pas|rien) (?:\w+ )?(?:fonctionne|marche|aide|resolu|change)\b|\bdepuis (?:hier|ce matin|lundi|mardi|mercredi|jeudi|vendredi)\b",
    r"\bdepuis (?:\w+ ){0,3}(?:mise a jour|maj|jours|semaines|heures)\b|\b(?:mon|ma|notre) (?:ticket|demande|dossier)\b|\bj'attends\b|\bcela fait \w+ (?:jours|semaines|heures)\b",
    r"\b(?:spams?|courriers? indesirables?) (?:\w+ )?(?:verifie|regarde)|\b(?:ni|meme|pas) dans (?:les |mes )?(?:spams?|courriers indesirables)\b|\bnumero de (?:ticket|dossier)\b",
]
FR_DISPUTE = [
    r"\bjamais (?:\w+ )?(?:commande|autorise|souscrit|accepte)\b|\b(?:malgre|apres) (?:la |ma |mon )?(?:resiliation|annulation|desabonnement)\b",
    r"\b(?:debite|preleve|facture|factures|debites|preleves)e?s? (?:\w+ )?(?:deux fois|a nouveau|encore|apres|alors)\b|\bon m'a (?:\w+ )?(?:debite|preleve|facture|promis|dit)\b",
    r"\bconteste|\bpromis\b|\bpourquoi (?:ai-je|avons-nous|ai je|mon|ma|mes|est-ce que j'ai)\b",
    r"\b(?:ete|etions) (?:\w+ )?(?:facture|debite|preleve|factures|debites)e?s?\b|\bnon autorise",
]
FR_HYPOTHETICAL = (
    r"\b(?:si|s'il|au cas ou|en cas d[e']|que se passe|que faire|combien de temps|lorsque|quand)\b"
)

# ---- Spanish ----------------------------------------------------------------------
ES_FAILURE = [
    r"\bno (?:me |nos |se |le )?(?:\w+ )?(?:funciona|sirve|llega|llego|llegan|ha llegado|han llegado|carga|abre|aparece|guarda|responde|deja|conecta|sincroniza|arranca|acepta|aceptan|reconoce|valida|descarga|muestra)\b",
    r"\ben blanco\b|\bse queda (?:\w+ )?(?:cargando|colgad[oa]|en blanco|bloquead[oa])\b",
    r"\bno (?:he|hemos|ha) (?:\w+ )?(?:recibido|llegado|podido|funcionado)\b|\bnunca (?:\w+ )?(?:llego|recibi|recibimos|funciono)\b",
    r"\b(?:ningun|ninguna) (?:\w+ )?(?:correo|email|mensaje|codigo|respuesta|factura|confirmacion|paquete)\b",
    # "none (of them) arrived / worked": the quantifier carries the negation.
    r"\b(?:ninguna|ninguno|ningunas|ningunos|nada|nadie) (?:de (?:\w+ ){1,2})?(?:\w+ )?(?:llego|llegaron|ha llegado|han llegado|funciono|funcionaron|ha funcionado|aparecio|aparecieron|sirvio|recibio|recibieron)\b",
    r"\bno (?:puedo|podemos|consigo|logro|pude) (?:\w+ )?\w+|\bya no\b",
    r"\b(?:error|fallo|falla|bloquead[oa]|vaci[oa]|desaparecid[oa]s?|desaparecio|perdid[oa]s?|incorrect[oa]|rechazad[oa]|caducad[oa]|expirad[oa]|colgad[oa]|lent[oa]|roto|rota|atascad[oa])\b",
    r"\b(?:un |el |tengo (?:un )?)?(?:problema|inconveniente)s?\b(?! reportar)",
    r"\bnunca (?:\w+ )?(?:termina|carga|funciona|aparece|llega)\b|\bequivocad[oa]s?\b|\bfalta(?:n)?\b|\blleva (?:\w+ )?(?:dias|horas|semanas)\b",
    r"\b(?:habeis|han|has|ha) (?:\w+ )?(?:cerrado|bloqueado|suspendido|cancelado|borrado|eliminado)\b|\bsin (?:ninguna )?(?:explicacion|razon|aviso)\b",
    r"\b(?:rechaza|rechazan|rechazo|rechazaron|lentisim[oa]|va lento|tarda (?:muchisimo|una eternidad|siglos))\b|\b(?:deja|dejo|dejaron|ha dejado|han dejado) de\b",
    r"\b(?:nunca|no) (?:son|es|fue|fueron|ha sido|han sido) (?:\w+ )?(?:aceptad|validad|reconocid|enviad|recibid|guardad|aplicad|entregad)[oa]s?\b",
    r"\b(?:tenia|tenian|tendria|tendrian|debia|debian|deberia|deberian|habria) (?:que |de )?(?:haber )?(?:llegar|llegado|estar|entregar|entregado)\b|\b(?:companer[oa]|cliente|usuari[oa]|jefe|jefa|colega)s? (?:\w+ )?(?:me )?(?:dice|dicen|comenta|avisa|reporta|escribe)\b",
    r"\b(?:cargo|cobro|pago) (?:doble|duplicado)\b|\b(?:doble|dos) (?:cargos?|cobros?|pagos?)\b",
]
ES_REPEAT = [
    r"\b(?:varias veces|aun no|todavia no)\b|\b(?:volvi|volvio|volvieron|ha vuelto|han vuelto|vuelve|vuelven) a\b|\bno pasa nada\b|\bse cierra\b|\bno (?:he|hemos) (?:autorizado|pedido|contratado|solicitado)\b",
    r"\b(?:segunda|tercera|cuarta|\d+a?) vez\b|\bya (?:\w+ )?(?:intente|he intentado|escribi|probe|lo hice|revise|conteste|reporte|borre)\b",
    r"\b(?:he|hemos) (?:\w+ )?(?:intentado|probado|seguido|revisado|reiniciado|esperado|borrado)\b|\bsin (?:exito|respuesta|resultado)\b",
    r"\bno (?:ha |me ha )?(?:funcionado|servido|ayudado)\b|\bdesde (?:ayer|esta manana|hoy|el lunes|el martes|el miercoles|el jueves|el viernes|la actualizacion|hace \w+ dias)\b",
    r"\b(?:revise|mire) (?:\w+ ){0,3}spam\b|\b(?:ni|tampoco|incluso) en (?:la carpeta de )?(?:spam|correo no deseado)\b|\bnumero de (?:ticket|caso)\b",
]
ES_DISPUTE = [
    r"\bnunca (?:\w+ )?(?:pedi|ordene|autorice|contrate|acepte)\b|\b(?:a pesar de|despues de|tras) (?:\w+ )?(?:cancelar|cancelarlo|la cancelacion|darme de baja)\b",
    r"\b(?:me|nos) (?:han |ha )?(?:cobrado|cobraron|cobro|cargado|cargaron|facturado)\b|\bcobrado (?:dos veces|de nuevo|otra vez)\b",
    r"\breclam|\bprometi|\bpor que (?:me|nos|mi|mis|se me)\b|\bno autoriz",
]
ES_HYPOTHETICAL = r"\b(?:si|en caso de|que pasa|que hago|que debo|que ocurre|cuanto tiempo|cuando)\b"

# ---- Italian, Portuguese, Dutch: the commonest reports -------------------------------
OTHER_FAILURE = [
    r"\bnon (?:\w+ )?(?:funziona|arriva|arrivata|ricevuto|riesco|carica|si apre)\b|\b(?:errore|bloccat[oa]|sparit[oi]|addebitat[oa]|ancora|di nuovo)\b",
    r"\bnao (?:\w+ )?(?:funciona|chegou|recebi|consigo|carrega|abre)\b|\b(?:erro|bloquead[oa]|sumiu|cobrad[oa]|de novo|novamente|ainda nao)\b",
    r"\b(?:scadut[oiae]|nessun[oa]?|si chiude|vuoto|vuota|ho provato|nessuna risposta|mio ticket|promesso)\b",
    r"\b(?:nenhum|nenhuma|ninguem|nem na|terceira vez|continua sem|continua no|em branco|desde ontem|bloqueados?|bloqueadas?|nao chega)\b",
    r"\b(?:blijft hangen|is leeg|niemand)\b|\b(?:ha|hanno) smesso di\b|\b(?:parou|pararam) de\b|\bwerkt (?:\w+ )?niet meer\b",
    r"\b(?:nessuna|nessuno|niente) (?:\w+ )?(?:e |sono )?(?:arrivat[oaie]|funziona(?:to)?|ricevut[oaie])\b|\b(?:nenhuma|nenhum|nada) (?:\w+ )?(?:chegou|chegaram|funcionou|apareceu)\b",
    r"\b(?:werkt|komt|laadt) (?:\w+ )?niet\b|\bniet (?:\w+ )?(?:ontvangen|aangekomen|gelukt)\b|\b(?:foutmelding|fout|geblokkeerd|verdwenen|opnieuw|nog steeds|afgeschreven)\b",
]

# The question taken back, in the same message or a later one of the thread. The
# solved-it phrases must end their sentence: "I found it confusing" is no withdrawal.
_SOLVED_END = r"(?=\s*(?:$|,|thanks?\b|thank you|!))"
WITHDRAWAL = [
    r"\bnever ?mind\b|\bscratch that\b|\bforget (?:it|my (?:last |previous )?(?:e-?mail|message|question))\b",
    r"\b(?:please )?(?:ignore|disregard) (?:my |this |the |that )?(?:last |previous |earlier |above )?(?:e-?mail|message|question|request|ticket)\b",
    rf"\b(?:figured|worked|sorted) (?:it|this|that) out\b|\b(?:found|solved|fixed|sorted|resolved) it(?: myself| already| now| out)?{_SOLVED_END}",
    r"\bno (?:longer )?need (?:to (?:answer|reply|respond)|for (?:an? )?(?:answer|reply|response|help))\b|\bcancel (?:my|this) (?:request|question|ticket)\b",
    r"\bhat sich (?:schon |inzwischen )?erledigt\b|\bist (?:schon |inzwischen )?erledigt\b|\b(?:vergessen|ignorieren) sie (?:bitte )?(?:meine|die|diese) (?:letzte |vorherige )?(?:e-?mail|nachricht|anfrage|frage)\b",
    rf"\bhabe es (?:selbst |schon |inzwischen |doch )?(?:gefunden|gelost|geschafft|herausgefunden){_SOLVED_END}|\bkeine antwort (?:mehr )?(?:notig|erforderlich)\b",
    r"\blaissez tomber\b|\boubliez (?:mon|ma|ce|cette|le) (?:dernier |precedent )?(?:message|e-?mail|question|demande)\b|\bne (?:tenez|tenir) pas compte\b",
    rf"\bj'ai (?:trouve|reussi|resolu)(?: tout seul| toute seule| moi-meme)?{_SOLVED_END}|\bc'est (?:regle|resolu)\b|\bpas besoin de (?:repondre|reponse)\b",
    r"\bolvid(?:alo|enlo|ate|ese)\b|\bya lo (?:encontre|resolvi|solucione|arregle|consegui)\b|\bno hace falta (?:que )?(?:respond|contest)\w*\b",
    r"\b(?:ignoren|ignora|ignore) (?:mi|el|este) (?:ultimo |anterior )?(?:correo|mensaje|email|e-mail)\b|\bya (?:esta|quedo) (?:resuelto|solucionado)\b",
    rf"\b(?:just |finally |now )?found (?:it|them|the (?:\w+ ){{0,2}}\w+|what i (?:was looking for|needed))(?: myself| already| now| on (?:your|the) \w+)?{_SOLVED_END}|\boh wait\b",
    r"\b(?:please )?(?:disregard|ignore)(?: (?:this|that|it|me|my question))?(?=\s*(?:$|,|!))|\b(?:thanks|thank you) anyway\b|\bdanke trotzdem\b|\bmerci quand meme\b|\bgracias (?:de todos modos|igualmente|de todas formas)\b|\bgrazie comunque\b|\bobrigad[oa] mesmo assim\b",
    rf"\b(?:hab|habe) (?:es|sie|ihn|das|alles)(?: \w+)? (?:gefunden|gelost|geschafft|herausgefunden){_SOLVED_END}|\bya (?:lo|la|los|las) (?:vi|encontre|tengo|resolvi)\b",
    r"\blascia(?:te)? perdere\b|\bho risolto\b|\bdeixa (?:pra|para) la\b|\bja (?:resolvi|consegui|encontrei)\b|\blaat maar\b|\bheb het (?:al )?(?:gevonden|opgelost)\b",
]

# The customer asks us to find out why something happened ("could you check why",
# "I was wondering why my ..."): a report, and never a hypothetical question. Asking
# to have a fact explained ("explain why there are two plans") is not one.
ASKS_WHY = [
    r"\b(?:check|see|find out|look(?:ing)? into|investigate|figure out) why\b",
    r"\b(?:wonder(?:ing|ed)?|explain|tell (?:me|us)) why (?:my|our|i|we|me|us|it|this|that|nothing|someone|somebody|there (?:is|was|were|'s) (?:a|an|another|two|no))\b",
    r"\b(?:prufen|pruefen|nachsehen|nachschauen|schauen|herausfinden),? (?:warum|wieso|weshalb)\b",
    r"\b(?:erklaren|sagen|wissen|frage mich|fragen),? (?:warum|wieso|weshalb) (?:ich|wir|mein|meine|unser|unsere|mir|uns|mich|es|nichts|zwei)\b",
    r"\b(?:verifier|regarder|voir),? pourquoi\b|\b(?:expliquer|savoir|dire|demandais|demande),? pourquoi (?:j'|je|mon|ma|mes|nous|notre|nos|on m'|on nous|rien|personne|il y a (?:eu )?(?:deux|un|une))",
    r"\b(?:revisar|mirar|comprobar|verificar),? (?:por que|porque)\b|\b(?:explicar|saber|decir|preguntaba|pregunto),? por que (?:me|mi|mis|nos|nuestro|nuestra|no|se me|hay (?:dos|un|una)|aparece|aparecen)\b",
]

# Someone else is in the account: no help-centre article is the reply to that.
TAKEOVER = [
    r"\b(?:somebody|someone|a stranger|a third party) (?:else )?(?:has |had )?(?:logged|signed|got|gotten|broke|accessed|entered|changed|used|is using|was using)\b",
    r"\b(?:log ?in|sign[- ]?in|session|notification|alert)s? (?:\w+ ){0,3}from (?:a |an )?(?:device|location|country|place|computer|phone|ip)s? (?:i|we) (?:do ?n[o']t|did ?n[o']t|never) (?:own|know|recogni[sz]e|use|have)\b",
    r"\b(?:jemand|ein fremder|eine fremde) (?:hat|ist|war) (?:sich )?(?:\w+ ){0,3}(?:eingeloggt|angemeldet|zugegriffen|geandert|eingedrungen)\b",
    r"\bquelqu'un (?:d'autre )?(?:s'est|a) (?:\w+ ){0,3}(?:connecte|accede|modifie|change|utilise|pirate)\b",
    r"\balguien (?:mas )?(?:ha |habia )?(?:entro|entrado|accedio|accedido|cambio|cambiado|uso|usado|inicio sesion|iniciado sesion)\b",
    r"\bqualcuno (?:e|ha) (?:\w+ )?(?:entrato|acceduto|cambiato|usato)\b|\balguem (?:entrou|acessou|mudou|alterou|usou)\b|\biemand (?:heeft|is) (?:\w+ ){0,3}(?:ingelogd|gewijzigd|binnengekomen)\b",
]

PRIVACY = [
    r"\b(?:delete|erase|remove|wipe|purge)\b.{0,40}\b(?:all|every|any) (?:of )?(?:my|our|the) (?:personal |private )?(?:data|information|details)\b",
    r"\bpersonal (?:data|information|details)\b|\b(?:everything|all|anything) (?:that )?you (?:have |hold |keep )?(?:stored|store|hold|have|keep|collected) about (?:me|us)\b",
    r"\b(?:remove|delete|erase) my (?:name|email|e-mail|phone|phone number|address|details)\b.{0,40}\b(?:systems?|records?|database|everywhere)\b",
    r"\bpersonenbezogen|\bpersonlichen daten\b|\bdati personali\b|\bdados pessoais\b",
    r"\b(?:data|information|details) (?:to be |be |was |were |been )?(?:erased|deleted|removed|wiped)\b",
    r"\b(?:delete|erase|remove|wipe|purge) (?:all |any )?(?:of )?(?:my|our|the) (?:personal |private |customer )?(?:data|information|details|records)\b",
    r"\b(?:all|any|which|what) (?:of )?(?:the )?(?:personal )?(?:data|information) (?:you|that you) (?:hold|have|store|keep|process|collect)\b",
    r"\bgdpr\b|\bdsgvo\b|\brgpd\b|\blgpd\b|\bccpa\b|\bright (?:to be forgotten|to erasure|of access|to access)\b",
    r"\bdata (?:subject|protection|privacy) (?:request|officer|law|act|regulation)?\b|\b(?:erasure|portability|subject access) request\b|\barticle (?:15|17|20)\b",
    r"\b(?:meine|unsere|alle) (?:\w+ )?daten (?:\w+ )?(?:loschen|entfernen|herausgeben)\b|\bdatenschutz|\bdatenauskunft\b|\bauskunft (?:uber|nach)\b",
    r"\b(?:supprimer|effacer) (?:\w+ )?(?:mes|nos) (?:\w+ )?donnees\b|\bdonnees personnelles\b|\bdroit (?:a l'oubli|d'acces|a l'effacement)\b",
    r"\b(?:borrar|eliminar|suprimir) (?:\w+ )?(?:mis|nuestros) (?:\w+ )?datos\b|\bdatos personales\b|\bderecho (?:al olvido|de acceso|de supresion)\b|\bproteccion de datos\b",
    r"\b(?:erase|delete|remove|wipe|purge)\b.{0,20}\beverything\b.{0,40}\b(?:about me|on me|linked|associated|connected|tied)\b",
    r"\b(?:informationen|daten|angaben)\b.{0,30}\b(?:uber|zu|von) (?:mich|mir|uns)\b|\b(?:samtliche|alle) (?:\w+ )?(?:gespeicherten )?(?:informationen|daten|angaben)\b.{0,30}\b(?:loschen|entfernen|loscht|entfernt)\b",
    r"\b(?:entfernen|loschen) sie (?:\w+ )?(?:samtliche|alle) (?:\w+ )?(?:informationen|daten|angaben)\b",
    r"\b(?:informations|donnees)\b.{0,40}\b(?:sur|concernant) (?:moi|nous)\b|\b(?:informacion|datos)\b.{0,40}\b(?:sobre|de) (?:mi|nosotros)\b(?! (?:cuenta|pedido|plan|suscripcion|factura))",
    r"\b(?:cancellare|eliminare) (?:\w+ )?(?:i miei )?dati\b|\bdati personali\b|\b(?:apagar|excluir) (?:\w+ )?(?:meus )?dados\b|\bdados pessoais\b|\bpersoonsgegevens\b",
]

# Words that report a situation in a statement ("it stopped again", "but nothing
# changed") and are ordinary in a question ("do you still offer ...?").
STATEMENT_REPEAT = [
    r"\b(?:still|again|anymore|any more|every time|each time)\b",
    r"\b(?:immer noch|noch immer|schon wieder|wieder|erneut|nochmals|weiterhin|nach wie vor)\b|\b(?:toujours|encore|de nouveau|a nouveau)\b",
    r"\b(?:todavia|aun|otra vez|de nuevo|nuevamente|sigue|sigo|siguen)\b|\b(?:ancora|di nuovo|ainda|de novo|novamente|nog steeds|opnieuw)\b",
]
STATEMENT_FAILURE = [
    r"\b(?:stopped|even though|even when|despite|in spite)\b",
    r"\b(?:disappears?|disappearing|vanish(?:es|ing)?|revert(?:s|ed|ing)?)\b|\b(?:comes?|came|goes|went|jumps?|jumped|switch(?:es|ed)|changes?|changed) back\b",
    r"\b(?:rejects|declines|refuses|loses|losing)\b|\b(?:comes?|came) out (?:with no|without|blank|empty|wrong)\b|\bwith no (?:\w+ )?(?:amounts?|data|content|text|items?|names?|numbers?|values?|prices?|totals?|rows?)\b",
    r"\b(?:way|far|much|well) (?:below|above|less than|more than|lower than|higher than)\b",
    # "only" after what it did: "the login only accepts the old address" (in a question it asks what is possible).
    r"\bonly (?:accepts?|works?|lets|allows|loads?)\b|\b(?:enthalt|enthielt|zeigt|zeigte|liefert|akzeptiert|ladt) (?:\w+ )?nur\b",
    r"\bne (?:\w+ )?(?:contient|contenait|montre|affiche|comporte|accepte|charge|prend) que\b|\b(?:solo|solamente|unicamente) (?:me )?(?:trae|traen|contiene|muestra|aparece|aparecen|sale|salen|incluye|acepta|funciona)\b",
    # Sent back where they started, in the other languages.
    r"\b(?:me |nos )?(?:devuelve|devuelven|regresa|regresan|redirige|redirigen) (?:\w+ )?(?:a|al)\b|\b(?:je reviens|on revient|me renvoie|nous renvoie|revient) (?:\w+ )?(?:a|au|vers|sur)\b",
    r"\b(?:lande|landet|landen|springt|leitet mich) (?:\w+ ){0,3}(?:wieder|zuruck) (?:auf|zu|zur|zum|in)\b",
    # Something done, then a contrast: "ich habe sie geändert, aber ...", "je l'ai changée mais ...".
    r"\b(?:habe|haben|hab) (?:\w+ ){0,3}(?:\w*ge\w+t|\w+iert),? (?:aber|doch|trotzdem|jedoch)\b|\b(?:j'ai|je l'ai|je les ai|nous avons|on a) (?:\w+ ){0,3}?\w+,? (?:mais|pourtant)\b",
    r"\b(?:missing|empty|blank|wrong|gone|lost|late|delayed|damaged|cracked|broken|incorrect|invalid)\b|\bnothing\b(?! (?:urgent|serious|important|special|else))",
    r"\bno (?:\w+ ){0,2}(?:was|were|has been|have been|got|is|are) (?:\w+ )?(?:created|sent|saved|generated|delivered|received|added|shown|found|imported|exported)\b",
    r"\b(?:does|did|is|are|was|were|has|have|had|would|wo|ca|could)n'?t (?!(?:urgent|a problem|an issue|a big deal|necessary|needed|required|matter)\b)\w+",
    r"\b(?:obwohl|trotzdem|nichts|leer|kaputt)\b",
    r"\b(?:wird|werden|wurde|wurden|ist|sind|war|waren) (?:\w+ ){0,2}nicht\b",
    r"\b(?:pourtant|alors que|malgre|rien|vide)\b|\b(?:aunque|nada|vacio|vacia)\b|\b(?:leeg|komt geen|(?:twee|drie|vier) keer)\b",
]

# Routine phrasings that contain problem words: how-to questions about finding
# or learning something, and the customer saying what they want to avoid.
BENIGN = [
    r"\b(?:ca|do|does|did)\s?n[o']?t (?:know|find|see|remember|understand|figure out|locate|get) (?:how|where|what|which|if|whether|the way)\b",
    r"\b(?:can ?not|unable to|not sure) (?:find|see|locate|figure out|know|tell|remember) (?:how|where|what|which|if|whether)\b",
    r"\b(?:ca ?n[o']?t|can ?not|could ?n[o']?t|unable to|do ?n[o']?t|did ?n[o']?t) (?:find|locate|see) (?:the|a|an|any|where|how|what|which)\b",
    r"\bnot sure (?:how|where|what|which|if|whether)\b|\bhow (?:do|can|should) (?:i|we) (?:report|fix|avoid|prevent|troubleshoot)\b",
    r"\breport (?:a|an) (?:bug|problem|issue|error)\b|\bknown (?:issues?|problems?)\b|^(?:a )?bug reports?\W*$",
    r"\bfailed (?:\w+ )?(?:attempts?|logins? history)\b|\b(?:by mistake|by accident|per errore|por error|par erreur|aus versehen|por engano)\b",
    r"\b(?:melde|melden) (?:ich |wir )?(?:einen |ein )?(?:fehler|problem|bug)\b|\bsignaler (?:un |une )?(?:bug|probleme|erreur)\b",
    r"\b(?:informo|informar|reporto|reportar|notificar) (?:de |sobre )?(?:un |una )?(?:error|problema|fallo)\b",
    r"\b(?:do|did)\s?n[o']?t (?:want|need|mind|have to|wish|use)\b.{0,30}|\bno longer (?:use|need|want)\b.{0,30}",
    # Not remembering is no failure either: "I can't remember my password, is there a way to set
    # a new one?" asks how (the act classifier reads it so, and the phrase alone held it).
    r"\b(?:ca ?n[o']?t|can ?not|could ?n[o']?t|do ?n[o']?t|does ?n[o']?t) (?:remember|recall)\b",
    r"\bkann mich nicht (?:mehr )?(?:an .{0,40})?erinnern\b",
    # Forgetting is the reason, not a failure of ours: "I forgot my password and can't log in".
    r"\b(?:forgot|forgotten|lost|don'?t remember)\b[^.,;]{0,40}\b(?:and|so)\b (?:now )?(?:i )?(?:ca ?n[o']?t|can ?not|am unable to|could ?n[o']?t) (?:log|sign|get|access)",
    r"\bvergessen,? (?:und|daher) kann (?:ich )?mich (?:jetzt )?nicht (?:mehr )?(?:anmelden|einloggen)",
    r"\boublie[^.,;]{0,40}\b(?:et|donc) (?:je )?ne (?:peux|parviens) (?:plus|pas) (?:me connecter|acceder)",
    r"\bolvide[^.,;]{0,40}\b(?:y|asi que) (?:ya )?no puedo (?:entrar|acceder|iniciar)",
    r"\b(?:problem|issue)s? (?:solved|fixed|resolved|gone)\b|\b(?:no|kein|pas de|sin|nessun) (?:problem|problema|probleme|issue)s?\b",
    r"\bbroken down\b|\bmy late (?:father|mother|husband|wife|partner|brother|sister|son|daughter)\b",
    r"\b(?:works?|working|running|fine|back|good|ok|okay|normal) (?:\w+ )?again\b|\bthe (?:\w+ )?worked\b",
    r"\bweiss nicht,? wie\b|\bje ne sais pas comment\b|\bno se como\b",
    r"\bne (?:trouve|vois|sais|comprends) pas (?:ou|comment|quel|quelle|si)\b|\bno (?:encuentro|veo|se) (?:donde|como|cual)\b|\bfinde (?:\w+ )?nicht,? (?:wo|wie)\b",
    r"\b(?:wo|how) finde ich\b|\bou trouver\b|\bdonde (?:encuentro|puedo)\b",
]


def _compile(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_RULES: list[tuple[Situation, re.Pattern[str]]] = [
    (Situation.PRIVACY, _compile(PRIVACY)),
    (Situation.TAKEOVER, _compile(TAKEOVER)),
    (Situation.WITHDRAWAL, _compile(WITHDRAWAL)),
    (Situation.DISPUTE, _compile(EN_DISPUTE + DE_DISPUTE + FR_DISPUTE + ES_DISPUTE)),
    (Situation.REPEAT, _compile(EN_REPEAT + DE_REPEAT + FR_REPEAT + ES_REPEAT)),
    (
        Situation.FAILURE,
        _compile(EN_FAILURE + DE_FAILURE + FR_FAILURE + ES_FAILURE + OTHER_FAILURE + ASKS_WHY),
    ),
]
_HYPOTHETICAL = _compile([EN_HYPOTHETICAL, DE_HYPOTHETICAL, FR_HYPOTHETICAL, ES_HYPOTHETICAL])
_STATEMENT_RULES: list[tuple[Situation, re.Pattern[str]]] = [
    (Situation.REPEAT, _compile(STATEMENT_REPEAT)),
    (Situation.FAILURE, _compile(STATEMENT_FAILURE)),
]
_BENIGN = [re.compile(p) for p in BENIGN]
_QUESTION = re.compile(
    r"\?\s*$|^(?:what|how|can|could|is|are|do|does|will|would|should|where|which|who|"
    r"was|wie|kann|konnen|gibt|ist|que|quel|quelle|comment|est-ce|puis-je|peut-on|como|cual|puedo|hay|se puede)\b"
)
# A question asked with a question word or an auxiliary ("do you still ...?"), not a
# statement with a tag ("the invoice still adds VAT, why?").
_ASKS = re.compile(
    r"^(?:[\w ]{0,20}: )?(?:what|how|can|could|is|are|do|does|will|would|should|where|which|who|when|am|may|"
    r"was|wie|kann|konnen|gibt|ist|wird|werden|wo|wann|que|quel|quelle|comment|est-ce|puis-je|peut-on|ou|"
    r"como|cual|puedo|hay|se puede|donde|cuando|e possibile|posso|come|onde|quando|hoe|kan)\b"
)
_NEVER_HYPOTHETICAL = re.compile(
    r"^(?:why|how come|warum|wieso|pourquoi|por que|perche)\b(?! (?:would|might|could|should)\b)"
)
# Read in questions too: "can you delete all my personal data?" is still the request.
_ALWAYS = {Situation.PRIVACY, Situation.TAKEOVER}
_ASKS_WHY = _compile(ASKS_WHY)
_EVIDENCE_CHARS = 60
_REPLY_SUBJECT = re.compile(
    r"^\s*(?:(?:re|aw|sv|antw|rif|res|fw|fwd|wg|tr|rv)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)


def strip_reply_prefix(subject: str) -> str:
    """The subject without its "Re:", "AW:", "Fwd:" prefixes."""
    return _REPLY_SUBJECT.sub("", subject or "")


def plain(text: str) -> str:
    """Lower case, accents and invisible characters removed, apostrophes unified."""
    decomposed = unicodedata.normalize("NFKD", clean_invisible(text).lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    unified = stripped.replace("’", "'").replace("`", "'")
    # Quotation marks go ('it says "token expired"'); apostrophes inside words stay.
    return re.sub(r"[\"“”„«»]|(?<!\w)'|'(?!\w)", " ", unified)


def sentences(text: str) -> list[str]:
    return split_sentences(plain(text))


def _evidence(sentence: str, match: re.Match[str]) -> str:
    words = re.sub(r"[^\w\s'-]", " ", match.group(0))
    return " ".join(words.split())[:_EVIDENCE_CHARS]


def _hypothetical(sentence: str, match: re.Match[str]) -> bool:
    """A problem phrase in a question, after an "if"/"what happens": not a report."""
    if not _QUESTION.search(sentence) or _NEVER_HYPOTHETICAL.search(sentence) or _ASKS_WHY.search(sentence):
        return False
    conditional = _HYPOTHETICAL.search(sentence, 0, match.end())
    return conditional is not None and conditional.start() <= match.start()


def _benign_span(sentence: str, match: re.Match[str]) -> bool:
    return any(b.start() <= match.start() < b.end() for p in _BENIGN for b in p.finditer(sentence))


def read_situation(subject: str, body: str) -> list[Finding]:
    """Every situation the message reports, at most one finding each.

    Reads the customer's own words (quoted history and signature removed); that
    the message is a reply says nothing by itself (the act classifier,
    ``triage.llm.acts``, reads what a follow-up does).
    """
    return list(_read_situation(subject or "", body or ""))


# Judging one message reads its situation three times (the guard flags, the act verdict, the
# provider's own flags): on a long email each read costs milliseconds of regular expressions.
@lru_cache(maxsize=64)
def _read_situation(subject: str, body: str) -> tuple[Finding, ...]:
    found: dict[Situation, Finding] = {}
    # A reply's "Re:" is no evidence: a reply is not a report because it is a reply
    # (thanks, a plan change, a new question); what it says is read like any message.
    subject = strip_reply_prefix(subject)
    for sentence in sentences(f"{subject}\n{normalize_body(body or '')}"):
        for situation, pattern in _RULES:
            if situation in found:
                continue
            for match in pattern.finditer(sentence):
                if situation not in _ALWAYS and (
                    _hypothetical(sentence, match) or _benign_span(sentence, match)
                ):
                    continue
                found[situation] = Finding(situation, _evidence(sentence, match))
                break
        if _ASKS.search(sentence):
            continue
        for situation, pattern in _STATEMENT_RULES:
            if situation in found:
                continue
            for match in pattern.finditer(sentence):
                if not (_hypothetical(sentence, match) or _benign_span(sentence, match)):
                    found[situation] = Finding(situation, _evidence(sentence, match))
                    break
    return tuple(found[s] for s in Situation if s in found)
