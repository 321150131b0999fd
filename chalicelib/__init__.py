"""Store-balance service: the wallet ledger behind the shop's balance (余额)."""
