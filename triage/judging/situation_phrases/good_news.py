"""Good news told with problem words: no report.

"Got it working after the update", "thanks again", "the error is gone", "ne plante
plus", "ya no sale el error": a thank-you with news reads like a report to the
failure and repeat phrases ("after the update", "again", "error"). A match of theirs
that starts inside one of these spans is not a finding (``triage.judging.situation``
reads them with ``multilingual.BENIGN``). Each is written so that the same words
with the trouble still there ("not fixed", "noch nicht behoben", "ya no funciona")
do not match.
"""

from __future__ import annotations

GOOD_NEWS = [
    # Good news after a change: "got it working after the update", "klappt jetzt wieder", "ça remarche".
    r"\b(?:got|get|have|has) (?:it|this|that|everything|things|all) (?:\w+ )?(?:working|running|sorted|fixed)\b[^.;!?]{0,30}\b(?:after|since)\b",
    r"\b(?:after|since) (?:the |your )?(?:\w+ )?(?:update|upgrade|restart|reinstall)\w*,? (?:it|everything|all|the \w+) (?:works|is working|runs|is running|loads)(?! not)\b",
    r"\b(?:problem|fehler)(?:e)? (?:ist |sind |wurde |wurden )?(?:jetzt |inzwischen )?(?:gelost|behoben|weg)\b|\b(?:hat|haben) (?:das|den|die) (?:problem|fehler)e? (?:gelost|behoben)\b",
    r"\b(?:probleme|souci|bug)s? (?:est |a ete |sont )?(?:regle|resolu|corrige)e?s?\b|\b(?:a|ont) (?:regle|resolu|corrige) (?:le|mon|notre) (?:probleme|souci|bug)\b",
    r"\b(?:problema|error|fallo)s? (?:esta |ya esta |quedo )?(?:resuelto|solucionado|arreglado)\b|\b(?:resolvio|soluciono|arreglo|ha resuelto|ha solucionado) (?:el|mi) (?:problema|error|fallo)\b",
    # Thanks said again is no repeat contact: "thanks again", "merci encore", "nochmals danke".
    r"\b(?:thanks?|thank you|cheers)(?: (?:so|very) much)? (?:again|once more)\b|\b(?:once )?again,? (?:many )?(?:thanks?|thank you)\b",
    r"\b(?:danke|dank)(?: \w+)? (?:nochmals|nochmal|erneut)\b|\b(?:nochmals|nochmal|erneut),? (?:vielen |herzlichen |besten )?dank",
    r"\bmerci (?:encore|de nouveau|a nouveau)\b|\bencore (?:une fois )?merci\b",
    r"\bgracias (?:de nuevo|otra vez|nuevamente)\b|\b(?:de nuevo|otra vez|nuevamente),? (?:muchas )?gracias\b",
    # Thanks for a fix, and the customer's own slip: "thanks for fixing the login error", "lag an mir".
    r"\b(?:for|you|you've|you have|finally|already) (?:finally |already |quickly )?(?:fixing|resolving|solving|sorting(?: out)?|fixed|resolved|solved|sorted(?: out)?) (?:the|my|this|that|our) (?:\w+ ){0,2}(?:issue|error|problem|bug|glitch)s?\b",
    r"\b(?:behebung|losung|korrektur) (?:des|der|dieses) (?:\w+ )?(?:fehlers|problems)\b|\b(?:den|das|diesen|dieses) (?:fehler|problem) (?:(?!nicht|nie|noch)\w+ ){0,3}(?:behoben|gelost|korrigiert|repariert) (?:habt|haben|hast)\b",
    r"\b(?:d'avoir|vous avez|vous l'avez|a|ont) (?:bien |enfin |deja |vite )?(?:corrige|regle|resolu|repare) (?:le|ce|mon|notre|les|ces) (?:\w+ )?(?:bug|probleme|souci|erreur)s?\b",
    r"\b(?:por|ya|ya han|ya habeis|ya ha) (?:arreglar|solucionar|resolver|corregir|arreglado|solucionado|resuelto|corregido) (?:el|este|mi|los|ese) (?:\w+ )?(?:error|problema|fallo)e?s?\b",
    r"\b(?:the )?(?:problem|issue|error|mistake) was (?:on )?my (?:side|end|fault|mistake)\b|\b(?:fehler|problem) lag (?:bei|an) mir\b|\b(?:l'erreur|le probleme) venait de (?:moi|mon cote)\b|\b(?:el error|el problema) era (?:mio|de mi lado|culpa mia)\b",
    # A failure that stopped is good news: "the error is gone", "no more crashes", "stürzt nicht mehr ab".
    r"\b(?:(?:the|that|this) )?(?:error|errors|crash(?:es|ing)?|warning|bug|glitch|(?:double|duplicate) (?:charge|invoice)) (?:message )?(?:is|are|has|have) (?:now )?(?:gone|disappeared|fixed|resolved)\b"
    r"|\bno more (?:errors?|crash(?:es)?|warnings?|timeouts?)(?: (?:since|after) (?:the |your )?(?:\w+ )?(?:update|upgrade|fix|restart))?\b",
    r"\b(?:does ?n[o']t|do ?n[o']t|no longer|won'?t) (?:crash|freeze|hang|fail|time out|log (?:me|us) out|show (?:the|that|any) (?:error|warning))(?:es|s)?(?: any ?more)?\b",
    r"\b(?:fehler|fehlermeldung|absturz|abstu?rze|warnung) (?:ist|sind) (?:jetzt |endlich )?(?:weg|verschwunden|behoben)\b|\b(?:sturzt|hangt|friert) (?:\w+ )?nicht mehr\b|\bkein(?:e)? (?:fehler|absturze|fehlermeldung)(?:en)? mehr\b",
    r"\bplus (?:d'|de |aucune? )(?:erreurs?|plantages?|messages? d'erreur)\b|\bne (?:plante|bloque|fige|se ferme) plus\b|\b(?:l'erreur|le bug|le message d'erreur) a disparu\b",
    r"\bya no (?:sale|aparece|da|salta) (?:el |ningun |ese )?(?:error|aviso|fallo)\b|\bya no se (?:cierra|cuelga|bloquea|congela)\b|\b(?:el error|el fallo) (?:ha )?desaparecid[oa]\b",
    r"\b(?:ist|sind|war) (?:jetzt |nun )?(?:alles )?wieder (?:in ordnung|ok|okay|gut|normal|da|sichtbar|erreichbar)\b|\balles wieder (?:gut|ok|in ordnung)\b",
    r"\b(?:funktionier\w*|klapp\w*|geht|gehen|lauf\w*|passt|synchronisier\w*|lad\w*|starte\w*|verbinde\w*)(?: \w+){0,2} wieder\b(?! (?:nicht|nie|kein|schief|kaputt))",
    r"\b(?:fonctionne|marche|remarche|refonctionne|synchronise|charge|se connecte|s'affiche|s'ouvre|demarre)(?: \w+){0,2} (?:a|de) nouveau\b(?! pas)"
    r"|\b(?:ca|tout) (?:re)?(?:marche|fonctionne) (?:a nouveau|de nouveau|encore)\b(?! pas)",
    r"\b(?:funciona|va bien|sincroniza|carga|conecta|arranca)(?: \w+){0,2} (?:de nuevo|otra vez|nuevamente)\b(?! no)|\b(?:vuelve|volvio|ha vuelto) a funcionar\b",
    r"\b(?:syncs|loads|connects|starts|opens)(?: \w+){0,2} (?:fine |properly |normally )?again\b(?! (?:and|but|with) )"
    r"|\b(?:i'm|i am|we're|we are|i was|we were|i got|we got) (?:back )?in again\b",
    # Nothing more to ask is no failure: "no further questions", "je n'ai pas d'autre question".
    r"\bno (?:further|other|more) (?:questions?|queries)\b|\b(?:do ?n[o']?t|do not) have any (?:other|more|further) (?:questions?|queries)\b",
    r"\bkeine (?:weiteren |anderen )?fragen(?: mehr)?\b|\bkeine (?:weitere|andere) frage\b",
    r"\b(?:je )?n'(?:ai|avons) (?:pas|plus) d'autres? questions?\b|\bpas d'autres? questions?\b|\bplus de questions?\b",
    r"\bno (?:tengo|tenemos) (?:mas|otras|ninguna otra) (?:preguntas?|dudas?)\b|\bsin mas (?:preguntas|dudas)\b",
    r"\b(?:brauche|brauchen|benotige|benotigen) (?:ich |wir )?(?:sonst |weiter )?nichts (?:mehr|weiter)\b",
    r"\bn'(?:ai|avons) (?:plus )?besoin de rien d'autre\b|\bje ne (?:veux|voulais) rien savoir d'autre\b",
    r"\bno (?:necesito|necesitaba|necesitamos|quiero|queria|queriamos) (?:saber )?nada mas\b",
    # Back in after doing what was advised: "I waited the 30 minutes and I'm back in", "war ich
    # wieder drin", "j'ai pu me reconnecter". A "still", "not" or "but" before it keeps the report.
    r"\b(?:i|we) (?:have |'ve |had )?(?:(?!not|still|never)\w+ )?(?:tried|followed|cleared|restarted|reinstalled|reset|waited|resent|re-sent|updated)\b"
    r"(?:(?!\b(?:not|still|never|but|again)\b|n't\b)[^.;!?]){0,60}?\b(?:and|so|now)\b,? (?:now )?(?:i'm |i am |we're |we are |it's |it is |everything'?s |everything is )?(?:back in|in again|working|fine|sorted)\b",
    r"\b(?:(?:bin|war|sind|waren) (?:ich|wir)|(?:ich|wir) (?:bin|war|sind|waren)) (?:(?!nicht|nie|kein)\w+ ){0,2}wieder (?:drin|eingeloggt|angemeldet|online)\b"
    r"|\b(?:konnte|kann|konnten|konnen) (?:ich|wir) (?:mich|uns) (?:(?!nicht|nie|kein)\w+ ){0,2}wieder (?:anmelden|einloggen)\b",
    r"\b(?:volvi|volvimos|he vuelto|hemos vuelto) a (?:intentar|probar)(?:lo)?\b(?:(?!\b(?:no|sigue|pero|todavia|aun)\b)[^.;!?]){0,60}?\by (?:ahora |ya )+(?:funciona|va|entra|carga|sale bien)\b",
    r"\bj'ai (?:enfin |bien )?pu (?:me reconnecter|me connecter|entrer|acceder)\b|\bje suis (?:de nouveau|a nouveau) connecte\b",
    r"\b(?:ya )?(?:pude|pudimos|puedo|podemos) (?:entrar|acceder|iniciar sesion)(?: de nuevo| otra vez)?\b(?! no)",
]
