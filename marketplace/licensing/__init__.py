"""Technology licensing: NDA click-through, confidential details, structured offers and counter-offers, licence agreements, decline feedback."""
