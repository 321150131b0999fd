"""The one rule for an id in a path or a body (pydantic-free: the route decorator checks path parameters with it
before any model is loaded)."""

ID_CHAR = r"[A-Za-z0-9_.:-]"
ID_MAX_LENGTH = 64
ID_PATTERN = rf"^{ID_CHAR}{{1,{ID_MAX_LENGTH}}}$"  # a path parameter's whole rule, in one pattern
IDENT_PATTERN = rf"^{ID_CHAR}+$"  # the same rule, its length given apart
