"""German: what failed, a repeat contact, a disputed charge, and the hypothetical question."""

from __future__ import annotations

FAILURE = [
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
REPEAT = [
    r"\b(?:mehrmals|mehrfach|zweimal|dreimal)\b|\b(?:zweite|dritte|vierte|x-te|\d+\.) mal\b",
    r"\bzum (?:zweiten|dritten|vierten|x-ten|\d+\.?) mal\b|\b(?:bereits|schon) (?:\w+ )?(?:versucht|geschrieben|gemeldet|kontaktiert|gepruft|geloscht|zuruckgesetzt|probiert)\b",
    r"\bhabe (?:\w+ )?(?:versucht|probiert|gepruft|geloscht|neu gestartet|gewartet)\b|\bohne erfolg\b",
    r"\b(?:habe|haben|hab|hatte) (?:\w+ ){0,2}(?:bereits|schon) (?:\w+ ){0,2}(?:abgemeldet|gekundigt|bezahlt|bestatigt|geandert|aktualisiert|eingerichtet|storniert|angefordert|beantragt|eingegeben|geklickt|befolgt|gemacht|installiert|aktiviert|deaktiviert)\b",
    r"\bhat (?:\w+ )?nicht (?:funktioniert|geklappt|geholfen)\b|\bseit (?:gestern|heute|montag|dienstag|mittwoch|donnerstag|freitag|tagen|wochen)\b",
    r"\bseit (?:\w+ ){0,2}(?:update|aktualisierung|tagen|wochen|stunden)\b|\bmein(?:e|em)? (?:ticket|anfrage|vorgang)\b",
    r"\b(?:spam|junk)(?:ordner)? (?:\w+ )?(?:gepruft|kontrolliert|nachgesehen|geschaut)|\bauch nicht im spam|\bkeine antwort\b|\bticket ?(?:nr|nummer|#)",
]
DISPUTE = [
    r"\bnie (?:\w+ )?(?:bestellt|autorisiert|abonniert|zugestimmt)\b|\b(?:trotz|nach) (?:der |meiner )?(?:kundigung|stornierung)\b",
    r"\b(?:wurde|wurden|bin|habe) (?:\w+ ){0,2}(?:belastet|abgebucht|berechnet)\b|\bzu viel berechnet\b|\bwiderspruch\b|\bversprochen\b",
    r"\bwarum (?:wurde|wurden|habe|hat|bin|ist mein|ist unser)\b|\bunberechtigt|\bnicht autorisiert",
    r"\b(?:belastet|abgebucht|berechnet|abgezogen|eingezogen) (?:worden )?(?:wurde|wurden|ist|sind|hat|haben)\b|\b(?:doppelte|zwei) (?:abbuchung|belastung|zahlung)\w*",
]
HYPOTHETICAL = r"\b(?:wenn|falls|was passiert|was tun|was mache ich|was soll ich|wie lange|ob)\b"
