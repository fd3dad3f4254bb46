"""Anti-fraud and credit (step 7): signals, the review queue, cases, freezes, claw-backs and the
organisations' credit records."""
