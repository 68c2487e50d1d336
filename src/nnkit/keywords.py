"""Keyword checking with suggestions: a misspelt keyword is a TypeError naming the likely one."""
import difflib
import inspect


def accepted_keywords(cls):
    """Every keyword the constructors along `cls`'s MRO accept by name."""
    names = set()
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None:
            continue
        for parameter in inspect.signature(init).parameters.values():
            if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
                names.add(parameter.name)
    names.discard("self")
    return names


def unexpected_keyword(owner, name, accepted):
    """The TypeError for keyword `name` given to `owner` (a string), suggesting the closest accepted one."""
    message = f"{owner} got an unexpected keyword argument '{name}'"
    close = difflib.get_close_matches(name, sorted(accepted), n=1, cutoff=0.6)
    if close:
        message += f". Did you mean '{close[0]}'?"
    return TypeError(message)


def reject_unknown(owner, given, accepted):
    """Raise for the first keyword in `given` that is not in `accepted`."""
    for name in given:
        if name not in accepted:
            raise unexpected_keyword(owner, name, accepted)
