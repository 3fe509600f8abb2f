"""Similar-customer scoring (T4), pure: domain/similarity.py."""

from __future__ import annotations

from sagicc_tui.domain.customers import SimilarityReason as R
from sagicc_tui.domain.similarity import MIN_PERCENT, NAME_THRESHOLD, CustomerFacts, fold, name_score, rank, score


def facts(id_: int, name: str, doc: str = "", id_type: str = "cc", phones=(), emails=()) -> CustomerFacts:
    return CustomerFacts(id=id_, id_type=id_type, id_number=doc, name=name,
                         phones=frozenset(phones), emails=frozenset(emails))


LUCIA = facts(1, "Lucía Gómez Pérez", "1020304050", phones={"3001112233"}, emails={"lucia@correo.co"})


def test_fold_ignores_accents_case_and_punctuation():
    assert fold("  LUCÍA  Gómez-Pérez ") == "lucia gomez perez"
    assert fold("Ñoño O'Brien") == "nono o brien"


def test_name_score_forgives_order_accents_typos_and_a_missing_surname():
    assert name_score("Lucía Gómez", "GOMEZ lucia") == 100
    assert name_score("Lucía Gómez Pérez", "Lucia Gomez") >= 90
    assert name_score("Lucía Gómez Pérez", "Lucía Góemz Pérez") >= 90
    assert name_score("Lucía Gómez", "Pedro Ramírez") < 60
    assert name_score("", "Pedro") == 0


def test_identical_document_is_at_least_95():
    s = score(LUCIA, facts(2, "L. G.", "1020304050"))
    assert s is not None and s.percentage >= 95 and s.reasons == (R.SAME_DOCUMENT,)
    both = score(LUCIA, facts(3, "Lucia Gomez Perez", "1020304050"))
    assert both is not None and both.percentage > s.percentage and R.SIMILAR_NAME in both.reasons


def test_same_document_under_another_type_counts_a_bit_less():
    s = score(LUCIA, facts(2, "Otra Persona", "1020304050", id_type="ce"))
    assert s is not None and 80 <= s.percentage < 95


def test_same_phone_and_similar_name_is_high():
    s = score(LUCIA, facts(2, "Lucia Gomez", "52000111", phones={"3001112233"}))
    assert s is not None and s.percentage >= 80
    assert s.reasons == (R.SAME_PHONE, R.SIMILAR_NAME)


def test_same_phone_alone_is_medium_and_email_alone_too():
    phone = score(LUCIA, facts(2, "Pedro Ramírez", phones={"3001112233"}))
    email = score(LUCIA, facts(3, "Pedro Ramírez", emails={"lucia@correo.co"}))
    assert phone is not None and 50 <= phone.percentage <= 70 and phone.reasons == (R.SAME_PHONE,)
    assert email is not None and 50 <= email.percentage <= 70 and email.reasons == (R.SAME_EMAIL,)


def test_only_a_similar_common_name_is_lower():
    s = score(facts(1, "Juan Pérez"), facts(2, "Juan Perez", "79000111"))
    assert s is not None and s.reasons == (R.SIMILAR_NAME,)
    high = score(LUCIA, facts(3, "Lucia Gomez", "52000111", phones={"3001112233"}))
    assert high is not None and s.percentage < high.percentage and s.percentage <= 60


def test_different_everything_is_not_returned():
    assert score(LUCIA, facts(2, "Pedro Ramírez", "79000111", phones={"3109998877"}, emails={"p@x.co"})) is None
    # a short or empty document never matches by itself
    assert score(facts(1, "Ana Ruiz", ""), facts(2, "Pedro Gil", "")) is None
    assert score(facts(1, "Ana Ruiz", "12"), facts(2, "Pedro Gil", "12")) is None


def test_a_name_below_the_threshold_alone_is_not_offered():
    assert name_score("Ana Ruiz", "Ana Rojas") < NAME_THRESHOLD
    assert score(facts(1, "Ana Ruiz"), facts(2, "Ana Rojas")) is None
    weakest = score(facts(1, "Ana Ruiz"), facts(2, "Ana Ruiz Gil"))  # just above: still offered, low
    assert weakest is not None and MIN_PERCENT <= weakest.percentage <= 60


def test_nit_with_and_without_the_check_digit_is_the_same_document():
    s = score(facts(1, "Acme", "900123456-8", id_type="nit"), facts(2, "Acme SAS", "900123456-8", id_type="nit"))
    assert s is not None and s.percentage >= 95


def test_rank_orders_by_percentage_and_drops_the_subject():
    candidates = [
        facts(5, "Pedro Ramírez", phones={"3001112233"}),
        facts(4, "Lucia Gomez", "52000111", phones={"3001112233"}),
        facts(3, "Lucía Gómez Pérez", "1020304050"),
        facts(1, "Lucía Gómez Pérez", "1020304050"),
        facts(2, "Nadie Igual", "79000111"),
    ]
    ranked = rank(LUCIA, candidates, limit=10)
    assert [c.id for c, _ in ranked] == [3, 4, 5]
    assert [c.id for c, _ in rank(LUCIA, candidates, limit=1)] == [3]
