"""Demo payments (step 4): filled in by the payments slice."""


def load_demo_payments(users: dict, organizations: dict) -> dict[str, int]:
    return {}
