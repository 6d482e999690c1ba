"""The words the compiler knows: option synonyms, keywords, fillers, and how words compare.

Every phrase is a tuple of *stems* (:func:`stem`): lower case, hyphens and slashes split,
plurals folded, so "Passkeys", "passkey" and "pass-key" look alike. Nothing here knows an
organization: names of identity providers, roles, groups and user stores come from
:class:`identra.flowai.inventory.Inventory` and are added to the same phrase table per compile.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# ---- words ------------------------------------------------------------------------------

RSQUO = "\u2019"  # a typographic apostrophe

_IRREGULAR = {
    "sms": "sms",
    "os": "os",
    "ips": "ip",
    "is": "is",
    "has": "has",
    "was": "was",
    "its": "it",
    "this": "this",
    "does": "does",
    "less": "less",
    "unless": "unless",
    "access": "access",
    "address": "address",
    "addresses": "address",
    "process": "process",
    "always": "always",
    "status": "status",
    "sales": "sales",
    "news": "news",
    "analytics": "analytics",
    "ops": "ops",
    "devops": "devops",
    "us": "us",
    "yes": "yes",
    "bus": "bus",
    "plus": "plus",
    "previous": "previous",
    "various": "various",
    "series": "series",
}


def stem(word: str) -> str:
    """A word's comparison form: lower case, a plural folded to its singular."""
    w = word.lower()
    w = w.replace(RSQUO, "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


_WORD = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?")


def words(text: str) -> tuple[str, ...]:
    """The stems of a phrase ("Face-ID" -> ("face", "id"))."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return tuple(stem(w) for w in _WORD.findall(folded))


def distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count once), capped at ``limit``."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) >= limit:
            return limit
        previous2, previous = previous, current
    return min(previous[-1], limit)


def tolerance(word: str) -> int:
    """How many edits a word of this length may carry and still be recognised."""
    if len(word) >= 8:
        return 2
    if len(word) >= 5:
        return 1
    return 0


# ---- options ----------------------------------------------------------------------------

# option -> phrases that name it. Longer phrases win over shorter ones ("google authenticator"
# is TOTP, not the Google identity provider).
OPTION_PHRASES: dict[str, tuple[str, ...]] = {
    "password": (
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "pass word",
        "username and password",
        "user name and password",
        "login and password",
        "username password",
        "username plus password",
    ),
    "email-otp": (
        "email otp",
        "e mail otp",
        "email code",
        "e mail code",
        "emailed code",
        "code by email",
        "code via email",
        "code sent by email",
        "code sent to their email",
        "code sent to the email",
        "otp by email",
        "otp via email",
        "email one time code",
        "one time code by email",
        "one time code via email",
        "email one time password",
        "one time password by email",
        "email verification code",
        "verification code by email",
        "email passcode",
        "passcode by email",
        "email otp code",
        "mailed code",
    ),
    "magic-link": (
        "magic link",
        "magiclink",
        "email link",
        "e mail link",
        "emailed link",
        "sign in link",
        "signin link",
        "login link",
        "log in link",
        "link by email",
        "link via email",
        "link sent by email",
        "passwordless link",
        "passwordless email link",
        "magic email link",
        "one click link",
        "link",
    ),
    "sms-otp": (
        "sms",
        "sms otp",
        "sms code",
        "sms one time code",
        "sms one time password",
        "sms passcode",
        "text",
        "text message",
        "text message code",
        "texted code",
        "code by text",
        "code via text",
        "code by sms",
        "code via sms",
        "code by text message",
        "code sent by text",
        "code sent by sms",
        "code sent to their phone",
        "code sent to the phone",
        "otp by text",
        "otp via text",
        "otp by sms",
        "otp via sms",
        "otp over sms",
        "one time code by sms",
        "one time code by text",
        "one time password by sms",
        "one time password by text",
        "sms verification",
        "sms verification code",
        "phone code",
        "mobile code",
    ),
    "totp": (
        "totp",
        "totp code",
        "authenticator",
        "authenticator app",
        "authenticator code",
        "authenticator app code",
        "code from an authenticator app",
        "code from the authenticator app",
        "code from their authenticator app",
        "google authenticator",
        "microsoft authenticator",
        "authy",
        "otp app",
        "app code",
        "time based code",
        "time based one time password",
        "time based otp",
        "one time password app",
        "soft token",
        "software token",
    ),
    "backup-code": (
        "backup code",
        "recovery code",
        "backup recovery code",
        "printed code",
        "emergency code",
    ),
    "passkey": (
        "passkey",
        "pass key",
        "fingerprint",
        "face id",
        "faceid",
        "touch id",
        "touchid",
        "windows hello",
        "webauthn",
        "fido",
        "fido2",
        "security key",
        "hardware key",
        "hardware token",
        "biometric",
        "biometrics",
        "yubikey",
        "platform authenticator",
    ),
}

# Phrases that name several options: the compiler asks which one.
AMBIGUOUS_OPTIONS: dict[str, tuple[str, ...]] = {
    "otp": ("email-otp", "sms-otp", "totp"),
    "one time code": ("email-otp", "sms-otp", "totp"),
    "one time password": ("email-otp", "sms-otp", "totp"),
    "one time passcode": ("email-otp", "sms-otp", "totp"),
    "verification code": ("email-otp", "sms-otp", "totp"),
    "passcode": ("email-otp", "sms-otp", "totp"),
    "code": ("email-otp", "sms-otp", "totp", "backup-code"),
    "email": ("email-otp", "magic-link"),
    "e mail": ("email-otp", "magic-link"),
    "phone": ("sms-otp", "passkey"),
    "mobile": ("sms-otp", "passkey"),
    "token": ("totp", "passkey"),
}

# Identity provider kinds by what people call them. A kind the organization has no enabled
# provider of is a question, not a guess.
IDP_KIND_PHRASES: dict[str, tuple[str, ...]] = {
    "google": (
        "google",
        "gmail",
        "google account",
        "google workspace",
        "g suite",
        "gsuite",
        "google sso",
        "google login",
        "google sign in",
        "sign in with google",
        "log in with google",
        "login with google",
    ),
    "github": ("github", "git hub", "github account"),
    "microsoft": (
        "microsoft",
        "microsoft account",
        "azure",
        "azure ad",
        "entra",
        "entra id",
        "office 365",
        "o365",
        "outlook",
        "live account",
    ),
    "apple": ("apple", "apple id", "sign in with apple"),
    "facebook": ("facebook", "meta"),
    "okta": ("okta",),
    "auth0": ("auth0",),
    "keycloak": ("keycloak",),
    "linkedin": ("linkedin",),
    "saml": ("saml",),
}
KIND_DISPLAY = {
    "google": "Google",
    "github": "GitHub",
    "microsoft": "Microsoft",
    "apple": "Apple",
    "facebook": "Facebook",
    "okta": "Okta",
    "auth0": "Auth0",
    "keycloak": "Keycloak",
    "linkedin": "LinkedIn",
    "saml": "SAML",
    "oidc": "OpenID Connect",
}
# Any identity provider: one enabled provider is taken (an assumption), several are a question.
ANY_IDP_PHRASES = (
    "sso",
    "single sign on",
    "identity provider",
    "idp",
    "federated login",
    "federation",
    "social login",
    "social sign in",
    "corporate sso",
    "company sso",
    "external identity provider",
)

# A second factor not named: every second factor the server offers (an assumption).
MFA_PHRASES = (
    "mfa",
    "2fa",
    "two factor",
    "two factor authentication",
    "2 factor",
    "multi factor",
    "multifactor",
    "multi factor authentication",
    "second factor",
    "2nd factor",
    "two step",
    "two step verification",
    "2 step verification",
    "2 step",
    "2sv",
    "strong authentication",
    "additional factor",
    "extra factor",
    "another factor",
    "second step",
    "additional verification",
    "extra verification",
    "step up",
    "step up authentication",
)

# Credential kinds of ``enrolled`` tests, by option.
ENROLLED_KIND = {
    "totp": "totp",
    "passkey": "passkey",
    "backup-code": "backup_codes",
    "sms-otp": "phone",
    "email-otp": "email",
    "magic-link": "email",
}

# ---- keywords ---------------------------------------------------------------------------

KEYWORDS: dict[str, tuple[str, ...]] = {
    "THEN": (
        "then",
        "followed by",
        "and then",
        "after that",
        "afterwards",
        "afterward",
        "after which",
        "next",
        "plus",
        "and also",
        "then also",
        "and after that",
        "before letting them in",
        "on top of that",
        "on top",
        "as well as",
        "along with",
        "together with",
        "combined with",
        "+",
    ),
    "AFTER": ("after",),
    "BEFORE": ("before",),
    "OR": (
        "or",
        "either",
        "alternatively",
        "or else",
        "and or",
        "if that doesn't work",
        "if that does not work",
        "if that doesnt work",
        "as a fallback",
        "as fallback",
        "or as a fallback",
    ),
    "AND": ("and", "&"),
    "ALSO": ("also", "additionally", "in addition", "too", "as well", "extra", "additional"),
    "IF": (
        "if",
        "when",
        "whenever",
        "in case",
        "in case of",
        "provided",
        "provided that",
        "as long as",
        "where",
    ),
    "FOR": ("for",),
    "UNLESS": (
        "unless",
        "except",
        "except for",
        "excluding",
        "other than",
        "apart from",
        "but not",
    ),
    "NOT": (
        "not",
        "no",
        "non",
        "never",
        "without",
        "dont",
        "don't",
        "doesnt",
        "doesn't",
        "isnt",
        "isn't",
        "arent",
        "aren't",
        "lacking",
        "lack",
        "missing",
        "haven't",
        "havent",
        "hasn't",
        "hasnt",
        "who do not",
        "who don't",
        "that do not",
        "that don't",
        "yet to",
    ),
    "ONLY": (
        "only",
        "exclusively",
        "solely",
        "restrict",
        "restricted",
        "restrict access to",
        "restrict sign in to",
        "reserved for",
        "nobody else",
        "no one else",
        "noone else",
        "no other user",
    ),
    "BLOCK": (
        "block",
        "blocked",
        "deny",
        "denied",
        "refuse",
        "refused",
        "reject",
        "rejected",
        "forbid",
        "forbidden",
        "disallow",
        "disallowed",
        "ban",
        "banned",
        "prevent",
        "keep out",
        "shut out",
        "not allowed",
        "not be allowed",
        "never allowed",
        "cannot sign in",
        "can't sign in",
        "cant sign in",
        "can not sign in",
        "cannot log in",
        "can't log in",
        "cannot login",
        "can't login",
        "cannot access",
        "can't access",
        "may not sign in",
        "must not sign in",
        "should not sign in",
        "no access",
        "no login",
        "stop",
        "turn away",
        "kick out",
        "lock out of the app",
    ),
    "LOCK": (
        "lock",
        "locked",
        "lock out",
        "lock the account",
        "lock their account",
        "lock the account of",
        "lock accounts of",
        "suspend",
        "suspended",
        "freeze",
        "disable the account",
        "disable their account",
    ),
    "ENROLL": (
        "set up",
        "setup",
        "enroll",
        "enrol",
        "enrollment",
        "enrolment",
        "register",
        "registration",
        "configure",
        "create",
        "onboard",
        "sign up for",
    ),
    "SKIP": (
        "skip",
        "skippable",
        "optional",
        "optionally",
        "later",
        "postpone",
        "defer",
        "remind",
        "encourage",
        "suggest",
        "invite",
        "nudge",
        "if they want",
        "if they like",
        "voluntary",
        "voluntarily",
        "not mandatory",
        "not required",
        "may decline",
        "can decline",
        "opt out",
    ),
    "MUST": (
        "require",
        "required",
        "must",
        "mandatory",
        "force",
        "forced",
        "enforce",
        "need",
        "needed",
        "have to",
        "has to",
        "obligatory",
        "compulsory",
        "cannot skip",
        "can't skip",
        "no skipping",
    ),
    "SESSION": (
        "session",
        "active session",
        "concurrent session",
        "simultaneous session",
        "parallel session",
        "concurrent login",
        "simultaneous login",
        "signed in elsewhere",
        "logged in elsewhere",
        "signed in somewhere else",
        "logged in somewhere else",
        "signed in on another device",
        "logged in on another device",
        "signed in once",
        "logged in once",
        "signed in only once",
        "logged in only once",
    ),
    "NO_OTHER": (
        "no other",
        "no other active",
        "no concurrent",
        "no simultaneous",
        "no parallel",
        "no second",
        "no additional",
        "no multiple",
        "not already",
        "single",
        "one at a time",
        "only one",
        "just one",
        "not more than one",
        "no more than one",
        "at most one",
        "max one",
        "maximum one",
        "not have any other",
        "not have another",
        "no other active",
        "not already have",
        "not have any other active",
        "signed in elsewhere",
        "logged in elsewhere",
        "signed in somewhere else",
        "logged in somewhere else",
        "signed in on another device",
        "logged in on another device",
        "signed in once",
        "logged in once",
        "signed in only once",
        "logged in only once",
    ),
    "MAX": (
        "at most",
        "max",
        "maximum",
        "maximum of",
        "up to",
        "no more than",
        "not more than",
        "limit",
        "limited",
        "limited to",
        "cap",
        "capped",
        "capped at",
        "allow at most",
        "or fewer",
        "or less",
    ),
    "CHOOSE": (
        "choose",
        "pick",
        "select",
        "end one",
        "end another",
        "end a session",
        "end the other",
        "end other",
        "sign out",
        "log out",
        "sign out elsewhere",
        "terminate",
        "close one",
        "which one to end",
        "which session to end",
        "let them choose",
        "let the user choose",
        "kick",
        "replace",
        "end",
        "choose one",
        "choose one to end",
        "pick one",
        "pick one to end",
        "end one of them",
        "sign out of one",
        "log out of one",
        "which one",
        "which one to end",
    ),
    "RISK": (
        "risk",
        "risky",
        "risk score",
        "risk level",
        "fraud score",
        "fraud risk",
        "suspicious",
        "high risk",
        "fraud",
    ),
    "LEVEL_HIGH": ("high", "elevated", "big", "significant"),
    "LEVEL_VERY_HIGH": ("very high", "critical", "extreme", "extremely high", "severe"),
    "LEVEL_MEDIUM": ("medium", "moderate", "mid", "average"),
    "LEVEL_LOW": ("low", "minimal"),
    "GT": (
        "above",
        "over",
        "more than",
        "greater than",
        "higher than",
        "exceeds",
        "exceeding",
        "exceed",
        ">",
    ),
    "GE": ("at least", "or more", "or higher", "or above", "and above", "and up", ">="),
    "LT": ("below", "under", "less than", "lower than", "<"),
    "LE": ("or lower", "or below", "or less", "and below", "at most", "<="),
    "NETWORK": (
        "network",
        "office network",
        "office",
        "vpn",
        "corporate network",
        "company network",
        "internal network",
        "intranet",
        "lan",
        "ip",
        "ip range",
        "ip address",
        "subnet",
        "address range",
        "on premise",
        "on premises",
        "on site",
        "onsite",
        "headquarters",
        "hq",
        "building",
        "campus",
    ),
    "OUTSIDE": (
        "outside",
        "outside of",
        "off",
        "external",
        "externally",
        "remote",
        "remotely",
        "away from",
        "offsite",
        "off site",
        "from home",
        "elsewhere",
    ),
    "ROLE_WORD": ("role", "role of", "with the role"),
    "GROUP_WORD": ("group", "team", "group of", "member", "membership", "department"),
    "STORE_WORD": (
        "user store",
        "userstore",
        "store",
        "directory",
        "user directory",
        "user store domain",
        "userstore domain",
        "domain",
    ),
    "IDENTIFY": (
        "identifier first",
        "username first",
        "user name first",
        "user id first",
        "login name first",
        "email address first",
        "email first",
        "ask for the username first",
        "ask for their username first",
        "ask for username first",
        "ask for the username",
        "ask for their username",
        "ask for username",
        "identify the user first",
        "identifier step",
        "username step",
        "enter their username first",
        "enter the username first",
        "type their username first",
    ),
    "FAILED": (
        "failed",
        "failure",
        "failing",
        "wrong",
        "unsuccessful",
        "incorrect",
        "invalid",
        "bad",
        "too many attempt",
        "brute force",
        "lockout",
    ),
    "ELSE": (
        "otherwise",
        "else",
        "everyone else",
        "everybody else",
        "anyone else",
        "other user",
        "all other user",
        "the rest",
        "others",
        "other",
        "instead",
    ),
    "ALL": ("both", "all of", "all the", "every one of"),
    "ANY": ("any of", "one of", "either of", "any"),
    "DURATION_MINUTE": ("minute", "min", "mins"),
    "DURATION_HOUR": ("hour", "hr", "hrs"),
    "DURATION_DAY": ("day",),
    "DURATION_WEEK": ("week",),
    "FOREVER": (
        "permanently",
        "forever",
        "indefinitely",
        "until an admin unlocks",
        "until an administrator unlocks",
        "until unlocked",
        "until an admin unlocks it",
        "until an administrator unlocks it",
    ),
    "ALLOW": ("allow", "allowed", "let", "let in", "can", "may", "support", "offer", "accept"),
    "EVERYONE": (
        "everyone",
        "everybody",
        "all user",
        "anyone",
        "anybody",
        "all",
        "every user",
        "each user",
    ),
    "HAS": ("has", "have", "having", "holding", "hold", "holds", "who is", "who are"),
    "WITH": ("with",),
    "WITHOUT_IT": (
        "if they don't have one",
        "if they do not have one",
        "if they dont have one",
        "if they don't have one yet",
        "if they do not have one yet",
        "if they dont have one yet",
        "who don't have one",
        "who do not have one",
        "who dont have one",
        "who don't have one yet",
        "who do not have one yet",
        "if they don't have it",
        "if they do not have it",
        "if they have none",
        "if not already set up",
        "if they haven't already",
        "if they have not already",
        "if missing",
        "if they don't have one already",
    ),
}

NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "a single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a hundred": 100,
}

# Words that carry no meaning for a flow. Anything that is neither one of these, nor a
# keyword, an option, a name of the organization or a number is a question.
FILLERS = frozenset(
    stem(w)
    for w in """
    a an the this that these those it they them their theirs he she his her him we our us
    you your i me my to of be is are was were been being am do does did done doing
    please should would could shall will just simply so such really always
    sign signing signed signs log logging logged logs login logon logins signin signon logon
    in into on onto at by via with using use uses used through thru upon within
    method methods factor factors step steps way ways option options mechanism mechanisms
    authentication authenticate authenticated authenticating verify verified verifying
    verification confirm confirmed confirming confirmation prove proof identity credential
    credentials access app application applications portal site website service system
    user users people person persons employee employees staff account accounts
    who whom whose which what whoever there here
    give gives given make makes made ensure sure enter enters entering
    provide provides providing type typed supply present passing
    first firstly initially initial start starting begin beginning
    want wants like
    sent send sends receive receives received
    from
    ask asks asked asking prompt prompts prompted prompting request requests requested
    challenge challenged challenges demand demanded
    flow flows page pages screen screens form
    permitted permit permits
    go goes going continue continues proceed proceeds
    able enabled
    now currently
    time times
    same own per already actively
    someone somebody
    okay ok
    be kind sort regular normal normally usual usually default standard
    everything secondary level strong stronger
    id im ive wed weve youre theyre theyll itll thats whats
    as coming come comes yet passwordless experience get gets getting connecting connect
    connects connected look looks seem seems appear appears
    """.split()
)

CLAUSE_PUNCTUATION = frozenset({",", ";", ".", ":", "!", "?", "\n"})


def phrase_table() -> dict[tuple[str, ...], list[tuple[str, str]]]:
    """Every fixed phrase (options, keywords, numbers, fillers) -> its meanings."""
    table: dict[tuple[str, ...], list[tuple[str, str]]] = {}

    def add(phrase: str, kind: str, value: str) -> None:
        key = words(phrase) if phrase not in ("+", "&", ">", ">=", "<", "<=") else (phrase,)
        if key and (kind, value) not in table.setdefault(key, []):
            table[key].append((kind, value))

    for option, phrases in OPTION_PHRASES.items():
        for phrase in phrases:
            add(phrase, "opt", option)
    for phrase, candidates in AMBIGUOUS_OPTIONS.items():
        add(phrase, "opts", ",".join(candidates))
    for kind, phrases in IDP_KIND_PHRASES.items():
        for phrase in phrases:
            add(phrase, "idpkind", kind)
    for phrase in ANY_IDP_PHRASES:
        add(phrase, "anyidp", "")
    for phrase in MFA_PHRASES:
        add(phrase, "mfa", "")
    for keyword, phrases in KEYWORDS.items():
        for phrase in phrases:
            add(phrase, "kw", keyword)
    for phrase, number in NUMBER_WORDS.items():
        add(phrase, "num", str(number))
    return table


def vocabulary(table: Iterable[tuple[str, ...]]) -> frozenset[str]:
    """Every word of the phrase table and the fillers: what typo correction aims at."""
    return frozenset({w for key in table for w in key} | FILLERS)
