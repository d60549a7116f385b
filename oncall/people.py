"""Pure rules about people's names."""

import re
import unicodedata


def login_username(name: str) -> str:
    """The login username for a member: `first.last` in lower case ("Jasmine Glancy" → "jasmine.glancy")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_name.lower())
    if not words:
        raise ValueError(f"cannot make a username from {name!r}")
    return ".".join(words)
