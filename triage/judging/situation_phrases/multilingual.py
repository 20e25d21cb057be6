"""Tables written across languages: Italian, Portuguese and Dutch reports, withdrawals,
asking why, account takeover, privacy requests, statement-only words and benign phrasings.
"""

from __future__ import annotations

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
