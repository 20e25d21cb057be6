"""Spanish: what failed, a repeat contact, a disputed charge, and the hypothetical question."""

from __future__ import annotations

FAILURE = [
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
REPEAT = [
    r"\b(?:varias veces|aun no|todavia no)\b|\b(?:volvi|volvio|volvieron|ha vuelto|han vuelto|vuelve|vuelven) a\b|\bno pasa nada\b|\bse cierra\b|\bno (?:he|hemos) (?:autorizado|pedido|contratado|solicitado)\b",
    r"\b(?:segunda|tercera|cuarta|\d+a?) vez\b|\bya (?:\w+ )?(?:intente|he intentado|escribi|probe|lo hice|revise|conteste|reporte|borre)\b",
    r"\b(?:he|hemos) (?:\w+ )?(?:intentado|probado|seguido|revisado|reiniciado|esperado|borrado)\b|\bsin (?:exito|respuesta|resultado)\b",
    r"\bno (?:ha |me ha )?(?:funcionado|servido|ayudado)\b|\bdesde (?:ayer|esta manana|hoy|el lunes|el martes|el miercoles|el jueves|el viernes|la actualizacion|hace \w+ dias)\b",
    r"\b(?:revise|mire) (?:\w+ ){0,3}spam\b|\b(?:ni|tampoco|incluso) en (?:la carpeta de )?(?:spam|correo no deseado)\b|\bnumero de (?:ticket|caso)\b",
]
DISPUTE = [
    r"\bnunca (?:\w+ )?(?:pedi|ordene|autorice|contrate|acepte)\b|\b(?:a pesar de|despues de|tras) (?:\w+ )?(?:cancelar|cancelarlo|la cancelacion|darme de baja)\b",
    r"\b(?:me|nos) (?:han |ha )?(?:cobrado|cobraron|cobro|cargado|cargaron|facturado)\b|\bcobrado (?:dos veces|de nuevo|otra vez)\b",
    r"\breclam|\bprometi|\bpor que (?:me|nos|mi|mis|se me)\b|\bno autoriz",
]
HYPOTHETICAL = r"\b(?:si|en caso de|que pasa|que hago|que debo|que ocurre|cuanto tiempo|cuando)\b"
