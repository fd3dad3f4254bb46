"""The recommender: plain arrays in, rankings and evidence out (scikit-learn).

Arrives with step 6; nothing here imports Flask or the database.
"""
