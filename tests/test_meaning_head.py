"""The category classifier's meaning head: joined with the TF-IDF model it was fitted with only,
and fed by the encoder call the act model already made."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from triage.domain.models import DraftRequest, InboundMessage
from triage.judging.checked import classify_checked
from triage.judging.encoder import encoder
from triage.judging.meaning_head import MeaningHead, join, meaning_rows, partner_of, shipped_head
from triage.judging.offline import OfflineProvider, shipped_classifier

LONG_EMAIL = (
    "Hello team,\n\nWe moved our workspace to the Business plan last week. Since then the invoice "
    "for March shows two charges for the same seats. I checked the billing page twice. The card was "
    "charged on the 3rd and again on the 5th. Our finance lead needs a corrected invoice. Could you "
    "look into it? We would also like to know how to download past invoices as PDF.\n\n"
    "Best regards,\nSam"
)


def message(body: str, subject: str = "") -> InboundMessage:
    return InboundMessage(
        message_id="m", inbox_id="i", from_address="a@example.org", subject=subject, plain_body=body
    )


def test_shipped_head_joins_the_shipped_classifier():
    # Retrain the TF-IDF model without its head (python -m triage.judging.training.train writes both) and this fails.
    assert shipped_head().joins(shipped_classifier())
    assert shipped_head().partner == partner_of(shipped_classifier())


def test_a_retrained_classifier_is_read_alone():
    retrained = dataclasses.replace(shipped_classifier(), fingerprint="retrained+3")
    assert not shipped_head().joins(retrained)
    joined, alone = OfflineProvider(), OfflineProvider(model=retrained)
    subject, body = "Double charge", "I was charged twice for my subscription this month"
    text_probabilities = retrained.probabilities([f"{subject}\n{body}"])
    category, _, _ = alone.predict(subject, body)
    assert category.value == retrained.classes[int(text_probabilities.argmax())]
    assert joined.predict(subject, body)[0] == category  # a plain billing line: both agree


def test_the_join_weighs_the_two_readings():
    tfidf = np.array([[0.7, 0.1, 0.1, 0.1]])
    meaning = np.array([[0.1, 0.1, 0.7, 0.1]])
    assert int(join(tfidf, meaning, 0.0).argmax()) == 0
    assert int(join(tfidf, meaning, 1.0).argmax()) == 2
    head = dataclasses.replace(shipped_head(), weight=0.5, temperature=1.0)
    rows = meaning_rows([("", "How do I export my invoices?")])
    probabilities = head.joined(shipped_classifier().probabilities(["How do I export my invoices?"]), rows)
    assert probabilities.shape == (1, len(head.classes))
    assert probabilities.sum() == pytest.approx(1.0)


def test_offsets_move_the_joined_reading_and_round_trip(tmp_path: Path):
    head = dataclasses.replace(shipped_head(), weight=0.5, temperature=1.0, offsets=())
    flat = np.full((1, len(head.classes)), 1.0 / len(head.classes))
    rows = meaning_rows([("", "How do I export my invoices?")])
    read = int(head.joined(flat, rows).argmax())
    other = (read + 1) % len(head.classes)
    pushed = tuple(50.0 if k == other else 0.0 for k in range(len(head.classes)))
    moved = dataclasses.replace(head, offsets=pushed)
    assert int(moved.joined(flat, rows).argmax()) == other
    moved.save(tmp_path / "head.npz")
    assert MeaningHead.load(tmp_path / "head.npz").offsets == pushed


def test_a_message_without_text_is_a_zero_row():
    assert not meaning_rows([("", "   ")]).any()
    assert meaning_rows([("Refund", "")]).any()  # the subject is the text


def test_the_head_round_trips_without_pickle(tmp_path: Path):
    path = tmp_path / "head.npz"
    shipped_head().save(path)
    loaded = MeaningHead.load(path)
    assert loaded.partner == shipped_head().partner and loaded.weight == shipped_head().weight
    np.testing.assert_allclose(loaded.coef, shipped_head().coef, rtol=1e-6)
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == ["coef", "intercept", "meta"]


@pytest.fixture
def encoder_calls(offline: OfflineProvider) -> Iterator[list[int]]:
    """The texts of each call that reaches the encoder's model (past its cache)."""
    model = encoder()._model
    calls: list[int] = []
    real = model.encode

    def counted(texts):
        calls.append(len(texts))
        return real(texts)

    model.encode = counted
    encoder().forget()
    try:
        yield calls
    finally:
        del model.encode


def test_judging_a_long_email_encodes_it_once(offline: OfflineProvider, encoder_calls: list[int]):
    """The act model, the category head and the answer matcher's subject share one batch."""
    email = message(LONG_EMAIL, subject="Invoice shows a double charge")
    loop = asyncio.new_event_loop()
    try:
        classification = loop.run_until_complete(classify_checked(offline, email))
        assert len(encoder_calls) == 1, encoder_calls
        loop.run_until_complete(offline.draft(DraftRequest(message=email, classification=classification)))
    finally:
        loop.close()
    # The draft's answer matcher finds the subject and the question's sentences cached.
    assert len(encoder_calls) == 1, encoder_calls
