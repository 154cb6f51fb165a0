"""Long messages, for the checks that a reader stays fast and right on them."""


def long_message(ending: str, length: int = 10_000) -> str:
    """A message of `length` characters of everyday worry that ends with `ending`."""
    filler = (
        "he found my account and started sending me messages every night, and now he wants "
        "money. i told my friend at school but she did not know what to do either. "
    )
    body = (filler * (length // len(filler) + 1))[: max(0, length - len(ending) - 1)]
    return f"{body} {ending}"
