"""The recommender: plain records in, rankings and evidence out (scikit-learn).

Nothing here imports Flask, the database or the rest of the project; ``marketplace`` adapts
rows to ``matching.records`` and words the evidence.

- ``records``  the record types (fixed): Item, Party, Interaction, Context, Evidence, Scored
- ``text``     the TF-IDF analyzer (words, synonym groups, character grams) and term display
- ``features`` the per-candidate features, vectorised over all candidates, and their evidence
- ``model``    ``Recommender``: fit (time-split ranker training), fold-in, recommend,
  parties_for_item
- ``store``    joblib artifact + JSON metadata; ``latest``; ``load`` refuses another sklearn
"""
