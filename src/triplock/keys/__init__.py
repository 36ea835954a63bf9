"""Keys done right: a certificate authority, keystores, random secrets, KMS backends and envelope
encryption in Tink's streaming format. Nothing here prints a secret; every key or password file is
written atomically with mode 0600 and never overwrites without `force`."""
