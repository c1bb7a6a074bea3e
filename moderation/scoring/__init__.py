"""Scoring: text normalisation, the rule filter, the trained classifier and the pipeline.

Import the submodules you need; nothing is loaded here (the rule filter and the classifier
read their lists and artefacts when first built, never at import time).
"""
