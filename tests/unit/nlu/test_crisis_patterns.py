"""The crisis safety net (haven/nlu/crisis_patterns.py).

The phrases here were written for the tests and are not in data/nlu/crisis.yml, so they check
that the patterns generalise rather than that they remember the training data.
"""

import re
import sys

import pytest

from haven.nlu.crisis_patterns import (
    crisis_language,
    crisis_patterns,
    figure_of_speech,
    load_patterns,
    mentions_crisis,
    normalise,
    weak_crisis_signal,
)

CRISIS_MESSAGES = [
    "i want to kill myself",
    "i wanna kil myselfff",
    "thinking about suicide tbh",
    "im suicidal",
    "sucidal thoughts again",
    "gonna unalive myself",
    "i might just unalive",
    "kms fr",
    "sewerslide is the only way out",
    "im going to end it all tonight",
    "ready to end it",
    "i wish i wasnt alive",
    "i should just die",
    "everyone would be better off without me",
    "theres no reason to live anymore",
    "I CAN'T DO THIS ANYMORE",
    "i dont want to be here anymore",
    "i want to disappear forever",
    "i wont be around much longer",
    "the pills are ready",
    "gonna take all my pills",
    "i started cutting again",
    "i keep hurting myself",
    "i burned my arm on purpose",
    "self harm is the only thing that helps",
    "hes outside my house right now",
    "he's at my door",
    "someone is trying to break in",
    "he says hes coming to my house",
    "they're going to hurt me",
    "im not safe",
    "i dont feel safe at home",
    "\N{HOCHO}",
    "i cant anymore \N{COFFIN}",
    "want 2 die",
    "i want someone to kill me",
    "pls just kill me",
    "he said he will kill me",
    "i want to die",
]

NOT_CRISIS_MESSAGES = [
    "someone has my nudes and wants money",
    "im so scared",
    "this is killing me lol",  # a figure of speech, not about the self
    "my phone died",
    "my parents would literally kill me if they found out",
    "my mom would kill me",
    "he said he will post my pics",
    "i blocked him",
    "how do i delete my account",
    "i cut my hair yesterday",
    "she is outside the group chat now",
    "what do i do",
    "",
    "   ",
]


# Spanish, as teenagers write it: written for these tests, in neither data/nlu/es/crisis.yml nor
# the examples of content/languages/es/crisis.yml.
SPANISH_CRISIS_MESSAGES = [
    "ME QUIERO MATAR",
    "me quiero matar ya no aguanto",
    "neta quiero morirme",
    "kiero morirmeee",
    "me qiero morir",
    "quisiera estar muerto",
    "me corto los brazos cuando estoy asi",
    "me he cortado otra vez",
    "no quiero vivir asi",
    "ya no kiero vivir",
    "me voy a suicidar esta noche",
    "me boi a suicidar",
    "estoy pensando en suicidarme",
    "pienso en suicidio",
    "sucidarme es la unica salida",
    "mejor estaria muerta",
    "todo el mundo estaria mejor sin mi",
    "no le veo sentido a vivir",
    "me voy a tirar por la ventana",
    "me tome muchas pastillas",
    "tengo la soga",
    "esta en la puerta de mi casa",
    "me esta persiguiendo un tipo",
    "dijo q me va a matar si no pago",
    "mi novio me golpea",
    "no me siento segura en mi casa",
    "ya no puedo mas",
    "adios a todos",
    "me hice cortes en las piernas",
    "mis papas estarian mejor si no existiera",
    "nadie me echaria de menos la neta",
    "sigo pensando en morirme",
]

SPANISH_NOT_CRISIS_MESSAGES = [
    "me muero de risa con esto",
    "jajaja me mato de la risa",
    "me muero de hambre",
    "mis papas me van a matar si ven esto",
    "mi mama me va a matar",
    "me van a matar mis viejos",
    "me corte el pelo y quede fatal",
    "no estoy seguro de que hacer",
    "no estoy segura si pagar",
    "alguien tiene mis fotos",
    "me amenaza con publicar mis nudes",
    "quiero que borren mis fotos",
    "tengo miedo de que lo suba",
    "esto me esta matando de nervios jaja",
    "me pide dinero",
    "me hice un corte de pelo nuevo",
    "nadie me extraña en clase",
    "estoy cagada de miedo",
]


@pytest.mark.parametrize("text", SPANISH_CRISIS_MESSAGES)
def test_spanish_crisis_messages_are_caught_as_spanish(text):
    assert crisis_language(text) == "es", text


@pytest.mark.parametrize("text", SPANISH_NOT_CRISIS_MESSAGES)
def test_everyday_spanish_messages_are_not_crisis(text):
    assert not mentions_crisis(text), text


def test_normalise_drops_accents_and_folds_spanish_letters():
    assert normalise("¡Quiero MORIRME ya, qué daño!") == "quiero morirme ya que dano"
    assert normalise("Me voy a suicidar") == "me voy a suicidar"


@pytest.mark.parametrize("text", CRISIS_MESSAGES)
def test_crisis_messages_are_caught(text):
    assert mentions_crisis(text), text


@pytest.mark.parametrize("text", NOT_CRISIS_MESSAGES)
def test_everyday_messages_are_not_crisis(text):
    assert not mentions_crisis(text), text


def test_none_is_not_crisis():
    assert not mentions_crisis(None)


def test_normalise_squeezes_repeats_and_drops_apostrophes_and_punctuation():
    assert normalise("I CAN'T   do thisss!!!") == "i cant do this"
    assert normalise("ｋｍｓ") == "kms"  # full-width letters fold with NFKC


def searches_while(action) -> int:
    """How many times a compiled pattern's `search` ran during `action()`."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event == "c_call" and getattr(arg, "__name__", "") == "search":
            count += isinstance(getattr(arg, "__self__", None), re.Pattern)

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return count


def test_a_long_everyday_message_is_not_searched_by_every_crisis_pattern():
    # Issue 12: forty 10,000-character messages held the event loop for seconds, most of it
    # every crisis pattern searching every message. Only the patterns whose words are in the
    # message are searched now (haven/nlu/pattern_screen.py); all of it is still read.
    everyday = ". ".join(m for m in NOT_CRISIS_MESSAGES + SPANISH_NOT_CRISIS_MESSAGES if m.strip())
    text = ((everyday + ". ") * (10_000 // len(everyday) + 1))[:10_000]
    every_pattern = sum(map(len, crisis_patterns().values()))
    searches = searches_while(lambda: mentions_crisis(text))
    assert not mentions_crisis(text)
    assert searches <= every_pattern // 10, (searches, every_pattern)
    assert mentions_crisis(text[:-30] + " i want to kill myself")  # the end is read


def nlu_examples() -> list[tuple[str, str]]:
    import warnings

    from rasa.shared.nlu.training_data.loading import load_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load_data("data/nlu")
    return [(example.get("intent"), example.get("text")) for example in data.intent_examples]


def test_every_crisis_training_example_is_caught_by_the_safety_net_alone():
    # The safety net must not depend on the classifier: every way of saying it that we collected
    # is matched by the patterns themselves (this is what makes crisis recall 1.0).
    missed = [text for intent, text in nlu_examples() if intent == "crisis"]
    missed = [text for text in missed if not mentions_crisis(text)]
    assert missed == []


def test_no_other_training_example_is_taken_for_a_crisis():
    flagged = [
        (intent, text)
        for intent, text in nlu_examples()
        if intent != "crisis" and mentions_crisis(text)
    ]
    assert flagged == []


# Languages with crisis patterns but no pack yet (content/languages/<code>/crisis.yml alone).
# Written for these tests, in the ways the pack files' examples do not use.
CRISIS_WITHOUT_A_PACK = {
    "de": [
        "Ich will einfach nur sterben",
        "ich will nich mehr leben",
        "hab schon überlegt mich umzubringen",
        "ich denk an suizid",
        "alle wären besser ohne mich",
        "ich ritz mich wieder",
        "Ich stehe auf der Brücke",
        "hab die pillen genommen",
        "ich kann nicht mehr",
        "ich möchte nicht mehr aufwachen",
    ],
    "fr": [
        "jveux mourir",
        "je veux me tuer",
        "j ai envie d en finir",
        "je pense à me suicider",
        "je veux plus vivre",
        "je manquerais à personne",
        "je me fais du mal",
        "je vais avaler mes médicaments",
        "j ai envie de disparaitre",
        "je veux plus me réveiller",
    ],
    "pt": [
        "qro morrer",
        "to pensando em me matar",
        "quero acabar com tudo",
        "não aguento mais viver",
        "vou me jogar da ponte",
        "me corto todo dia",
        "ninguém sentiria minha falta",
        "quero desaparecer pra sempre",
        "vou tomar todos os comprimidos",
        "penso em suicidio",
    ],
    "nl": [
        "ik wil gewoon dood",
        "ik wil niet meer leven",
        "ik wil er een einde aan maken",
        "ik denk aan zelfmoord",
        "ik doe mezelf pijn",
        "iedereen beter af zonder mij",
        "ik wil niet meer wakker worden",
        "ik sta op het dak",
        "ik heb mijn pillen geslikt",
        "niemand zou me missen",
    ],
}

FIGURES_WITHOUT_A_PACK = [
    "ma mère va me tuer",
    "je vais mourir de honte",
    "je suis mort de rire mdr",
    "vou morrer de vergonha",
    "minha bateria tá morrendo",
    "meine Mutter bringt mich um",
    "ich sterbe vor Scham",
    "mein Handy stirbt",
    "ich kann nicht mehr warten",
    "mijn moeder vermoordt me",
    "ik ga dood van het lachen",
]


@pytest.mark.parametrize(
    ("language", "message"),
    [(code, text) for code, texts in CRISIS_WITHOUT_A_PACK.items() for text in texts],
)
def test_crisis_messages_in_languages_without_a_pack_are_caught(language, message):
    assert mentions_crisis(message)


@pytest.mark.parametrize("message", FIGURES_WITHOUT_A_PACK)
def test_figures_of_speech_in_those_languages_are_not_crises(message):
    assert not mentions_crisis(message)


@pytest.mark.parametrize(
    ("ranking", "weak"),
    [
        ([("nlu_fallback", 0.45), ("crisis", 0.4)], True),  # just under the fallback threshold
        ([("nlu_fallback", 0.45), ("greet", 0.3), ("ask_why", 0.2), ("crisis", 0.11)], True),
        ([("greet", 0.5), ("ask_why", 0.2), ("thanks", 0.15), ("crisis", 0.12)], False),  # 4th
        ([("nlu_fallback", 0.45), ("crisis", 0.09)], False),
        ([], False),
        (None, False),
    ],
)
def test_a_weak_crisis_signal_is_crisis_among_the_top_three_guesses(ranking, weak):
    guesses = None if ranking is None else [{"name": n, "confidence": c} for n, c in ranking]
    assert weak_crisis_signal(guesses) is weak


# The indirect ways the issue "Understanding v2" found missed (means at hand, high places,
# self-harm, wishing to disappear, goodbyes, notes for family, a chosen day or night, not being
# here next week, hopelessness), in every language with patterns. Written for these tests, before
# the patterns that catch them, and in none of the pack examples or training data.
INDIRECT_CRISIS = {
    "en": [
        "honestly i deserve to be dead",
        "im writing goodbye letters to my friends",
        "can you tell my dad im sorry for everything",
        "they would all be happier once im gone",
        "consider this my goodbye",
        "thanks for trying, really",
        "i chose the date already",
        "later when my parents go to sleep",
        "i wont be alive by friday",
        "i see no future for myself",
        "theres a loaded gun in my room and its ready",
        "i hid a bunch of pills in my drawer",
        "im at the edge of the roof",
        "i keep banging my head on the wall",
        "i wish i could just vanish",
        "my life is over",
        "someone said they plan to kill me",
        "he wants to murder me",
        "im gonna end it soon",
        "i think about jumping off the bridge a lot",
        "i dont see the point anymore",
    ],
    "es": [
        "ya junté suficientes pastillas",
        "tengo la navaja en la mano",
        "estoy sentada en el borde del puente",
        "me pego cuando me siento mal",
        "esta es mi despedida",
        "díganles a mis papás que los quiero",
        "escribí cartas para mis hermanos",
        "ya decidí la fecha",
        "hoy cuando mis papás se duerman",
        "mañana ya no voy a estar",
        "no veo futuro",
        "ya se acabó todo",
        "no merezco vivir",
        "me gustaría no existir",
        "el man dice que me va a matar",
        "me despido para siempre",
        "tengo las pastillas aquí",
    ],
    "de": [
        "ich mache heute nacht Schluss",
        "ich setze meinem Leben ein Ende",
        "hab die Tabletten schon bereit",
        "ich stehe an den Gleisen",
        "lebt wohl",
        "ich habe einen Brief für meine Eltern geschrieben",
        "ich schlage mich selbst",
        "ich hab keine Hoffnung mehr",
        "morgen bin ich nicht mehr da",
        "ich möchte einfach verschwinden",
    ],
    "fr": [
        "j'en finis ce soir",
        "cette nuit quand mes parents dorment",
        "j'ai un couteau",
        "je suis au bord du pont",
        "adieu à tous",
        "j'ai laissé une lettre pour ma famille",
        "je me frappe quand ça va pas",
        "plus d'espoir",
        "je veux juste disparaître",
        "j'ai envie de crever",
    ],
    "pt": [
        "hoje eu acabo com tudo",
        "essa noite quando todo mundo dormir",
        "peguei a corda",
        "to na beira do telhado",
        "adeus pra sempre",
        "escrevi uma carta pra minha família",
        "eu me bato quando fico mal",
        "minha vida acabou",
        "semana que vem não vou estar aqui",
        "não mereço viver",
    ],
    "nl": [
        "ik maak er een eind aan",
        "vannacht als iedereen slaapt",
        "ik heb touw",
        "ik zit op de brug",
        "vaarwel",
        "ik heb een brief voor mijn ouders",
        "ik sla mezelf",
        "geen hoop meer",
        "morgen ben ik er niet meer",
        "ik verdien de dood",
    ],
}

# Figures of speech that sound like a crisis: no pattern may match them, and each must be known as
# a figure, so a classifier's `crisis` becomes the gentle safety check
# (haven/rasa_edge/nlu/crisis_net.py).
FIGURES_OF_SPEECH = {
    "en": [
        "my mum will actually kill me lol",
        "my brother is gonna murder me",
        "im so dead tomorrow",
        "bro im dead 💀",
        "i literally died laughing",
        "this test killed me",
        "my laptop is dying",
        "she killed it at the talent show",
        "my back is killing me",
        "i could kill for a burger",
        "we re so dead when the teacher finds out",
        "dying of cringe rn",
        "this wait is killing me",
    ],
    "es": [
        "mi papá me va a matar cuando vea mi boleta",
        "el examen de hoy me está matando",
        "me muero de hambre jaja",
        "estoy muerta de risa",
        "se me está muriendo la batería",
        "mi abuela me mata si llego tarde",
        "me van a matar mis papás jaja",
        "me morí de vergüenza",
    ],
    "de": [
        "mein Vater bringt mich um",
        "ich lach mich tot",
        "mein Akku ist gleich leer",
    ],
    "fr": [
        "ma mère va me buter",
        "je meurs de rire",
        "ma batterie meurt",
    ],
    "pt": [
        "minha mãe vai me matar",
        "morri de vergonha",
        "meu celular morreu",
    ],
    "nl": [
        "mijn moeder maakt me af",
        "ik lag dood van het lachen",
        "mijn accu is dood",
    ],
}

# The warning signs the crisis lines list (means at hand, trains and high places, self-harm on
# purpose, not waking up, being a burden, goodbyes and last wishes, no way out), in every
# language. Written while the patterns for them were written (so they check the patterns'
# breadth, not their honesty: tests/nlu_heldout/ does that), in none of the pack examples or
# training data.
WARNING_SIGNS = {
    "en": [
        "i have my dads gun in my room rn",
        "took like 30 advil",
        "im gonna take every pill in the cabinet",
        "i wrote everyone letters",
        "tell my little brother i love him",
        "im standing on the overpass",
        "been cutting my wrists again",
        "i just want it all to end",
        "no one will miss me",
        "im a waste of space",
        "i dont want to wake up tomorrow",
        "please tell my parents it was not their fault",
        "i recorded a goodbye video",
    ],
    "es": [
        "me tomé todas las pastillas de mi mamá",
        "estoy en el techo de mi casa y quiero saltar",
        "me corto a propósito",
        "ya no quiero despertar",
        "les dejé una carta a mis papás",
        "díganle a mi papá q lo siento",
        "si sube el video me mato",
        "si repruebo el examen me mato",
    ],
    "de": [
        "ich nehme jetzt alle Tabletten",
        "ich stehe auf der Brücke",
        "sag meinem Bruder dass ich ihn lieb hab",
        "ich ritze mich jeden Tag",
        "ich will halt einfach nicht mehr leben",
        "sagt Mama dass es nicht ihre Schuld ist",
    ],
    "fr": [
        "j'ai avalé toute la plaquette",
        "je veux me jeter du pont",
        "je me scarifie encore",
        "j'en peux plus de vivre",
        "dites à ma mère que je l'aime",
        "je vais me foutre en l air",
    ],
    "pt": [
        "tomei todos os remédios",
        "vou me jogar da ponte",
        "me corto todo dia",
        "quero dormir e não acordar",
    ],
    "nl": [
        "ik heb al mijn pillen geslikt",
        "ik spring van de brug",
        "ik snij mezelf elke dag",
        "zeg tegen mn moeder dat het me spijt",
    ],
}

# Everyday messages that share words with those patterns: no pattern may catch them.
EVERYDAY_NEAR_WARNING_SIGNS = [
    "i cant go on instagram anymore he blocked me",
    "im going to jump on a call with my friend",
    "how do i tell my mom im sorry",
    "my brother plays with a nerf gun",
    "me voy a tirar a dormir",
    "quiero saltar este paso",
    "me corté el pelo",
    "ich spring kurz unter die Dusche",
    "das macht keinen Sinn",
    "je vais sauter cette étape",
    "vou pular essa parte",
    "me cortei com papel",
    "ik ga springen op de trampoline",
    "het heeft geen zin om te betalen",
    "ma mère va me tuer si elle voit ça",
]

# More figures of speech, one or two per language, known as figures and caught by no pattern.
MORE_FIGURES = [
    "waiting for the results is kinda killing me",
    "ngl my sister r gonna murder me",
    "me mató el examen de física",
    "me muero por saber qué pasó",
    "die Prüfung bringt mich noch um",
    "ça me tue ce devoir",
    "minha mãe me mata se descobrir",
    "dat proefwerk maakt me kapot",
    "bro im deceased",
    "phone on 2 percent, its about to die",
    "mein Vater dreht mir den Hals um",
]


# Real threats and crises said in the same words as the figures: never figures.
REAL_DANGER_NOT_FIGURES = [
    "he said hes going to kill me",
    "the guy is going to hurt me",
    "im not safe",
    "my dad is going to beat me when he gets home",
    "my mom is going to kill me and i want to die",
    "lol i want to die",
    "el tipo me va a matar",
    "mi mama me va a matar y ya no quiero vivir",
]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (code, text)
        for source in (INDIRECT_CRISIS, WARNING_SIGNS)
        for code, texts in source.items()
        for text in texts
    ],
)
def test_indirect_crisis_messages_are_caught(language, message):
    assert mentions_crisis(message), message


@pytest.mark.parametrize(
    "message", [text for texts in FIGURES_OF_SPEECH.values() for text in texts] + MORE_FIGURES
)
def test_figures_of_speech_are_known_and_not_crises(message):
    assert not mentions_crisis(message), message
    assert figure_of_speech(message), message


@pytest.mark.parametrize("message", REAL_DANGER_NOT_FIGURES)
def test_a_crisis_pattern_always_wins_over_a_figure(message):
    assert mentions_crisis(message), message
    assert not figure_of_speech(message), message


@pytest.mark.parametrize("message", EVERYDAY_NEAR_WARNING_SIGNS)
def test_everyday_messages_near_warning_signs_are_not_crises(message):
    assert not mentions_crisis(message), message


@pytest.mark.parametrize("message", [None, "", "hello", "someone has my nudes"])
def test_everyday_messages_are_not_figures(message):
    assert not figure_of_speech(message)


# Patterns written with a doubled letter never matched, as `normalise` squeezes every repeat
# ("alles" -> "ales", "elle" -> "ele", "Sinn" -> "sin"); `make check-content` now refuses them.
@pytest.mark.parametrize(
    "message",
    [
        "das hat alles keinen Sinn mehr",
        "ella me pega",
        "elle est devant ma porte",
        "il veut me frapper",
        "elle attend devant chez moi",
    ],
)
def test_patterns_once_written_with_doubled_letters_now_match(message):
    assert mentions_crisis(message), message


def test_a_broken_pattern_stops_the_loading_of_the_patterns(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "crisis.yml").write_text("patterns:\n  - '\\\\bkms('\n", encoding="utf-8")
    with pytest.raises(re.error):
        load_patterns(tmp_path)


def test_a_german_sharp_s_is_read_as_ss():
    # "ß" was dropped as punctuation, so "Schluß" never reached the pattern written for "Schluss".
    assert normalise("ich mach Schluß mit allem") == normalise("ich mach Schluss mit allem")
    assert mentions_crisis("ich mach Schluß mit allem")
    assert not mentions_crisis("ich mach Schluß mit ihm")  # ending it with someone
