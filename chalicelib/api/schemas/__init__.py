"""Request and response models: they validate what comes in, shape what goes out,
and are the source of the OpenAPI document. Strict: no coercion, no unknown fields.

One module per resource; the base classes and the shared field types are in ``common``. A route names its
models by resource and class (``body="wallet.WalletSettingsRequest"``, chalicelib/api/routing.py): a module is
imported when a request first needs one of its models, so a cold function loads only what it serves. Nothing
is imported here for the same reason.
"""
