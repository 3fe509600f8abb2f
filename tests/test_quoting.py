"""#13 where a customer's new words end: quoted history and signatures fold."""

from sagicc_tui.domain.quoting import split_quoted


def test_quoted_lines_attributions_separators_and_signatures_fold():
    assert split_quoted("Hola\n> citado\n> más") == ("Hola", 2)
    assert split_quoted("Sí, gracias.\n\nOn Mon, 30 Nov 2026, Soporte <s@x.co> wrote:\n> antes") == ("Sí, gracias.", 2)
    assert split_quoted("Listo\n-----Mensaje original-----\nDe: Soporte\nAsunto: x") == ("Listo", 3)
    assert split_quoted("Ok\n\nDe: Soporte <s@x.co>\nEnviado: lunes\nPara: yo") == ("Ok", 3)
    assert split_quoted("Nos vemos\n-- \nRosa Pérez\nTel 555") == ("Nos vemos", 3)


def test_nothing_folds_when_it_would_hide_everything_or_nothing_is_quoted():
    assert split_quoted("> solo una cita") == ("> solo una cita", 0)
    assert split_quoted("Texto normal\ncon dos líneas") == ("Texto normal\ncon dos líneas", 0)
    assert split_quoted("El precio es -- negociable") == ("El precio es -- negociable", 0)
