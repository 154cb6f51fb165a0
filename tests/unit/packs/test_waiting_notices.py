"""`make check-content` on the waiting notices (`notices:` of language.yml): a notice missing in
English, one Haven does not send, and a placeholder a notice cannot fill all fail, naming the file;
a number a notice may use, and the region's help lines, pass."""

from tests.unit.packs.test_content_check import edit, errors, packs  # noqa: F401 - fixture


def test_the_shipped_notices_pass(packs):  # noqa: F811
    assert not [e for e in errors(packs) if "notices." in e]


def test_a_notice_missing_in_english_fails(packs):  # noqa: F811
    path = packs / "languages" / "en" / "language.yml"
    edit(path, '  queue_next: "You\'re next in the queue for a counselor."\n', "")
    assert any(
        e.startswith(f"{path}:") and "`notices.queue_next` is missing" in e for e in errors(packs)
    )


def test_a_number_a_notice_cannot_fill_fails(packs):  # noqa: F811
    path = packs / "languages" / "es" / "language.yml"
    edit(path, "tarda unos {minutes} minutos", "tarda unos {place} minutos")
    found = errors(packs)
    assert any(
        e.startswith(f"{path}:") and "`notices.wait_estimate`: unknown placeholder {place}" in e
        for e in found
    ), found


def test_a_notice_haven_does_not_send_fails_and_help_lines_pass(packs):  # noqa: F811
    path = packs / "languages" / "en" / "language.yml"
    edit(path, "notices:\n", 'notices:\n  hello: "Hi {crisis_first}"\n')
    edit(path, '"Yes"', '"Yes, call {crisis_first}"')
    found = [e for e in errors(packs) if "notices." in e]
    assert found and all("`notices.hello` is not a notice Haven sends" in e for e in found), found
    assert any(e.startswith(f"{path}:") for e in found), found
