"""The crisis safety net: a pattern check that no classifier score can out-vote.

The NLU classifier recognises most ways of saying "I want to die"; this module catches the ones it
might miss (typos, slang such as "unalive" or "kms", emoji) so that a message about suicide,
self-harm or immediate danger always gets crisis help first. False alarms are cheap here (the crisis
reply is gentle and the conversation goes on); a miss is not, so the patterns lean wide.
"""

from __future__ import annotations

import re
import unicodedata

# Patterns are matched against `normalise(text)`: lower case, no apostrophes, punctuation as
# spaces, and every run of a repeated letter squeezed to one ("kill" -> "kil", "dieee" -> "die").
# Write them in that squeezed form.
_SQUEEZED_PATTERNS: tuple[str, ...] = (
    # suicide, direct and in slang
    r"\bsu?i?[cs]id(e|al|ing)?\b",
    r"\bsewer ?slide\b",
    r"\bunaliv",
    r"\bkms\b",
    r"\bkys\b",
    r"\bkil(ing|ed)? my ?self\b",
    # "kill me", but not the figure of speech "my parents would (literally) kill me"
    r"(?<!would )(?<!wd )(?<!literaly )(?<!totaly )(?<!actualy )\bkil me\b",
    r"\bhang my ?self\b",
    r"\bend (it al|my life|my own life|everything|it tonight|it now)\b",
    r"\b(want|wana|wanted|going|gona|gon|ready|about|plan|planing) (to )?(end it|die|be dead)\b",
    r"\b(wish|want) i (was|were|wasnt|werent) (dead|alive|here|born)\b",
    r"\bi (should|wil|could|might) (just )?die\b",
    r"\brather (be )?(die|dead)\b",
    r"\bbeter of (dead|without me|if i (was|were) gone|if i wasnt here)\b",
    r"\b(no|dont have a|no more) reason (to|for) (live|living|be alive|stay)\b",
    r"\bnot worth (living|it any ?more)\b",
    r"\bpoint (in|of) (living|being alive|life|me being here)\b",
    r"\b(dont|do not|dont even) (want to|wana) (live|be alive|be here|exist)\b",
    r"\bcant (do this|go on|take (it|this)|live like this) any ?more\b",
    r"\b(disapear|vanish) (forever|for god)\b",
    r"\bwant to (disapear|vanish|not wake up|never wake up|slep forever)\b",
    r"\b(wont|not|not gona|not going to) (be )?(around|here) "
    r"(much longer|for long|tomorow|any ?more)\b",
    r"\b(godbye|bye) (forever|everyone|world)\b",
    r"\b(godbye|sucide|suicide) (note|leter|mesage)\b|\blast mesage\b",
    r"\btel (my \w+|every ?one|them) (im|i am) sory\b",
    r"\bgave away (my|al my)\b",
    r"\bdone with (life|living|everything)\b|\bstop forever\b|\bnot exist\b",
    r"\bif i (was|were) gone\b|\b(notice|care|mis me) if i (died|disapeared)\b",
    r"\b(i|im|il) (end|ending) it\b|\bending it\b",
    r"\b(wont|not gona|not going to) (be alive|survive|make it)\b",
    r"\bmight as wel (be dead|die)\b|\bdying (sems|is|would be) (easier|beter)\b",
    r"\bways to (die|kil my ?self|end it)\b|\bno way out\b",
    r"\bhow (im|i am|i m) (going to|gona|gon) do it\b",
    r"\bdo (something|smth|sth)( stupid| bad)? to my ?self\b",
    r"\bcant (kep )?(living|live|go on) like this\b",
    r"\breason to (wake up|live|kep going|be here)\b|\b(never|not) wake up\b",
    r"\b(want|wana) (to )?jump($| of| from| in front)\b",
    r"\bon (the|a) (bridge|edge|rof|ledge)\b",
    r"\bjump (of|from) (a|the|my) (bridge|building|rof|window)\b",
    r"\boverdose\b|\bod on\b",
    r"\b(take|tok|swalow|taking) al (the|my|of the|of my|these) (pils|tablets)\b",
    r"\b(pils|tablets|rope|knife|blade) (is |are )?(ready|here|next to me)\b",
    r"\b(tok|taken|swalowed|ate) .{0,25}\b(pils|tablets|meds)\b",
    r"\b(have|got|found|holding) (a|my|the)( \w+)? (knife|blade|gun|rope|razor)\b",
    # self-harm
    r"\bself ?harm",
    r"\b(cut|cuting|burn|burning|burned|burnt|hurt|hurting|harm|harming|hit|hiting|punching) "
    r"(my ?self|my (arm|arms|wrist|wrists|leg|legs|skin))\b",
    r"\b(started|start|ben|kep) cuting\b|\bcuting (again|rn|right now|now)\b",
    r"\bdid it (to )?my ?self\b|\bbleding\b",
    # immediate danger
    r"\b(im|i am|i m) not safe\b|\bdont fel safe\b|\bnot safe (here|at home|right now|rn)\b",
    r"\b(is|s|are|re|hes|shes|theyre|someone|somebody|someones) (outside|at) my "
    r"(house|home|dor|window|rom|schol)\b",
    r"\bwaiting (outside|for me)\b|\bfolowing me (home|around|to)\b",
    r"\btrying to (get|break|come) in(to)?\b",
    r"\b(coming|come) (to|for) (my (house|home|schol)|me)\b",
    r"\b(going|gona|wil|gon|wants to) (to )?(hurt|kil|beat|rape|find) me\b",
    r"\b(he|she|they|someone) (hit|hits|hurt|hurts|beat|beats) me\b",
    r"\bthreatened to (kil|hurt|beat|rape) me\b",
)
_PATTERNS = tuple(re.compile(pattern) for pattern in _SQUEEZED_PATTERNS)

# Emoji that young people use for suicide and self-harm (Crisis Text Line found emoji among the
# strongest risk signals). Matched on the raw text.
_RISK_EMOJI = ("\N{HOCHO}", "\N{COFFIN}", "\N{HEADSTONE}", "\N{DROP OF BLOOD}", "\N{PILL}\N{PILL}")

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_REPEATS = re.compile(r"([a-z])\1+")
_DIGIT_TO = re.compile(r"(?<![0-9])2(?![0-9])")


def normalise(text: str) -> str:
    """Fold text to the squeezed form the patterns are written in."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = _APOSTROPHES.sub("", folded)
    folded = _NOT_WORD.sub(" ", folded)
    folded = _REPEATS.sub(r"\1", folded)
    folded = _DIGIT_TO.sub("to", folded)  # "want 2 die"
    return " ".join(folded.split())


def mentions_crisis(text: str | None) -> bool:
    """True when a message speaks of suicide, self-harm or immediate danger."""
    if not text:
        return False
    if any(emoji in text for emoji in _RISK_EMOJI):
        return True
    squeezed = normalise(text)
    return any(pattern.search(squeezed) for pattern in _PATTERNS)
