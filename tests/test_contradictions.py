"""Corrections that relabel what the labelled set agrees on, found by meaning (the real encoder).

The labelled rows are dense where the corrections fall, as the packaged set is around disputes
(a hundred billing rows): the check needs several close rows that agree.
"""

from __future__ import annotations

from triage.domain.models import Category, Correction
from triage.judging.encoder import encoder
from triage.judging.training.contradictions import contradictions
from triage.judging.training.evaluation import EvalRow

LABELLED = [
    ("Refund please", "I was billed twice for the same month, please refund one payment.", "billing"),
    ("Double charge", "My card shows two charges for one subscription. I want my money back.", "billing"),
    ("Wrong amount", "The invoice charges more than my plan costs; refund the difference.", "billing"),
    ("Charged after cancelling", "You took a payment after I cancelled. Please reverse it.", "billing"),
    ("Erstattung", "Sie haben mir den Monat doppelt berechnet, bitte erstatten Sie eine Zahlung.", "billing"),
    ("Doppelte Abbuchung", "Mein Abo wurde zweimal abgebucht. Ich möchte mein Geld zurück.", "billing"),
    ("Charged twice", "Two identical payments left my account for one order; refund the second.", "billing"),
    ("Overcharged", "I paid twice for my plan this month and want a refund of the extra charge.", "billing"),
    ("Remboursement", "J'ai été débité deux fois ce mois-ci, merci de me rembourser.", "billing"),
    ("App crash", "The app closes itself every time I open the settings page.", "bug"),
    ("Export broken", "Exporting a report gives an empty file since the update.", "bug"),
    ("Sync stopped", "Calendar events stopped syncing to my phone yesterday.", "bug"),
    ("Login error", "I get an error 500 when I try to log in from the web page.", "bug"),
    ("Upload fails", "Uploading a picture fails with a network error every time.", "bug"),
    ("Dark mode", "Please add a dark theme to the web app.", "feature_request"),
    ("Opening hours", "When is your support team available during the week?", "general"),
]


def rows() -> list[EvalRow]:
    return [
        EvalRow(id=str(n), subject=subject, body=body, label=label, source="written")
        for n, (subject, body, label) in enumerate(LABELLED)
    ]


def correction(n: int, body: str, corrected: Category) -> Correction:
    return Correction(
        workflow_id=f"wf-{n}",
        subject="Support",
        body=body,
        predicted=Category.GENERAL,
        corrected=corrected,
        reviewer="alice",
    )


def test_disputes_relabelled_as_routine_contradict_the_labelled_disputes():
    disputes = [
        "You charged me twice this month, I need a refund for one of the payments.",
        "There are two payments for my subscription on my card, please give one back.",
        "Ich wurde doppelt belastet und möchte eine Rückerstattung.",
    ]
    found = contradictions(
        [correction(n, body, Category.GENERAL) for n, body in enumerate(disputes)], rows(), encoder().encode
    )
    assert found.checked == 3 and found.relabelled == {"billing": {"general": 3}}


def test_corrections_that_agree_or_stand_apart_contradict_nothing():
    agreeing = [
        correction(0, "Since this morning the app crashes when I open my profile.", Category.BUG),
        correction(1, "We were charged twice for March, please refund one.", Category.BILLING),
        # Nothing labelled is near: the labelled set has no say.
        correction(
            2, "Do you plan a warehouse integration for our barcode scanners?", Category.FEATURE_REQUEST
        ),
        # faq and general are one answer.
        correction(3, "What time does your support team start in the morning?", Category.FAQ),
    ]
    found = contradictions(agreeing, rows(), encoder().encode)
    assert found.checked == 4 and found.relabelled == {} and found.count == 0
    # The same charge filed as a bug goes against the disputes the labelled set holds.
    against = contradictions(
        [correction(1, "We were charged twice for March, please refund one.", Category.BUG)],
        rows(),
        encoder().encode,
    )
    assert against.relabelled == {"billing": {"bug": 1}}


def test_nothing_to_compare_with_finds_nothing():
    one = [correction(0, "Refund my double charge.", Category.GENERAL)]
    assert contradictions(one, [], encoder().encode).count == 0
    assert contradictions([], rows(), encoder().encode).checked == 0
