"""Money pledges (筹资金) and matchfunding (step 4)."""
