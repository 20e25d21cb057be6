"""French: what failed, a repeat contact, a disputed charge, and the hypothetical question."""

from __future__ import annotations

FAILURE = [
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
REPEAT = [
    r"\b(?:plusieurs fois|une fois de plus)\b|\breste (?:\w+ )?(?:blanc|blanche|vide|bloquee?|figee?)\b|\bne se passe rien\b",
    r"\b(?:deuxieme|troisieme|quatrieme|\d+e) fois\b|\bdeja (?:\w+ )?(?:essaye|ecrit|fait|contacte|verifie|signale|envoye|vide|reinitialise)\b",
    r"\bj'ai (?:\w+ )?(?:essaye|suivi|vide|verifie|redemarre|reinstalle|attendu|relance)\b|\bsans (?:succes|resultat|reponse)\b",
    r"\bn'a (?:\w+ )?(?:pas|rien) (?:\w+ )?(?:fonctionne|marche|aide|resolu|change)\b|\bdepuis (?:hier|ce matin|lundi|mardi|mercredi|jeudi|vendredi)\b",
    r"\bdepuis (?:\w+ ){0,3}(?:mise a jour|maj|jours|semaines|heures)\b|\b(?:mon|ma|notre) (?:ticket|demande|dossier)\b|\bj'attends\b|\bcela fait \w+ (?:jours|semaines|heures)\b",
    r"\b(?:spams?|courriers? indesirables?) (?:\w+ )?(?:verifie|regarde)|\b(?:ni|meme|pas) dans (?:les |mes )?(?:spams?|courriers indesirables)\b|\bnumero de (?:ticket|dossier)\b",
]
DISPUTE = [
    r"\bjamais (?:\w+ )?(?:commande|autorise|souscrit|accepte)\b|\b(?:malgre|apres) (?:la |ma |mon )?(?:resiliation|annulation|desabonnement)\b",
    r"\b(?:debite|preleve|facture|factures|debites|preleves)e?s? (?:\w+ )?(?:deux fois|a nouveau|encore|apres|alors)\b|\bon m'a (?:\w+ )?(?:debite|preleve|facture|promis|dit)\b",
    r"\bconteste|\bpromis\b|\bpourquoi (?:ai-je|avons-nous|ai je|mon|ma|mes|est-ce que j'ai)\b",
    r"\b(?:ete|etions) (?:\w+ )?(?:facture|debite|preleve|factures|debites)e?s?\b|\bnon autorise",
]
HYPOTHETICAL = r"\b(?:si|s'il|au cas ou|en cas d[e']|que se passe|que faire|combien de temps|lorsque|quand)\b"
